"""Methodist (and mentor) selection: spare capacity, configured maximum, same municipality
first, least loaded, deterministic ties; loads follow routes as they open and close."""

from __future__ import annotations

import asyncio
from datetime import date

from contracts import (
    EducatorMoved,
    EducatorTransferred,
    StaffLeft,
    SupportProposed,
    SupportStaffDeparted,
    SupportStaffRegistered,
)
from services.routes.domain.config import RoutePolicy
from services.routes.domain.educator import Catalogue, EducatorFile, Loads
from services.routes.domain.supporters import choose_supporter, propose_supporter
from services.routes.service import RoutesService
from tests.support.routes import (
    ED,
    FakeStore,
    R,
    deficit,
    diagnosed,
    ev,
    incoming,
    known,
    program,
    registered,
    staff,
)


def test_a_full_methodist_is_passed_over_for_one_with_spare_capacity():
    pool = [staff("a", capacity=2), staff("b", muni="m2")]
    assert choose_supporter(pool, "methodist", {"a": 1}, 250, "m1") == "a"
    assert choose_supporter(pool, "methodist", {"a": 2}, 250, "m1") == "b"


def test_the_cap_is_advice_not_a_filter_the_least_loaded_is_still_proposed_with_the_reason():
    pool = [staff("a", capacity=1000), staff("b", capacity=1000)]
    assert choose_supporter(pool, "methodist", {"a": 249, "b": 300}, 250, None) == "a"
    choice = propose_supporter(pool, "methodist", {"a": 250, "b": 300}, 250, None)
    assert choice.staff_id == "a" and "перегружены" in choice.reason and "250" in choice.reason


def test_same_municipality_is_preferred_over_a_less_loaded_one():
    pool = [staff("far", muni="m2"), staff("near", muni="m1")]
    assert choose_supporter(pool, "methodist", {"near": 200}, 250, "m1") == "near"
    assert choose_supporter(pool, "methodist", {"near": 200}, 250, "m2") == "far"


def test_then_the_least_loaded_then_the_smallest_id():
    pool = [staff("c"), staff("b"), staff("a")]
    assert choose_supporter(pool, "methodist", {"a": 3, "b": 1, "c": 2}, 250, "m1") == "b"
    assert choose_supporter(pool, "methodist", {}, 250, "m1") == "a"
    assert choose_supporter(pool, "methodist", {}, 250, None) == "a"  # unknown educator municipality


def test_inactive_staff_and_other_kinds_are_never_chosen():
    pool = [staff("off", active=False), staff("tut", kind="tutor"), staff("men", kind="mentor")]
    assert choose_supporter(pool, "methodist", {}, 250, "m1") is None
    assert choose_supporter(pool, "mentor", {}, None, "m1") == "men"


def test_loads_grow_with_assigned_routes_and_a_full_methodist_is_still_proposed():
    catalogue = Catalogue(programs={"p": program("p", ["c1"])}, staff={"m": staff("m", capacity=1)})
    loads, policy = Loads(), RoutePolicy()
    first = known().apply(diagnosed(deficit("c1")), catalogue, loads, policy)
    assert first[0].payload.methodist_id == "m" and loads.methodist == {"m": 1}
    other = "ed-" + "d" * 32
    second = known(other).apply(diagnosed(deficit("c1"), educator=other), catalogue, loads, policy)
    assert second[0].payload.methodist_id == "m"  # over the cap: advice, not a filter (E1 shows the overload)
    assert loads.methodist == {"m": 2}


def test_a_closed_route_frees_its_methodist_place():
    catalogue = Catalogue(programs={"p": program("p", ["c1"])}, staff={"m": staff("m")})
    loads, file = Loads(methodist={"m": 5}), known()
    file.apply(diagnosed(deficit("c1")), catalogue, loads, RoutePolicy())
    assert loads.methodist == {"m": 6}
    file.apply(diagnosed(deficit("c2"), dx="dx-2", day=date(2024, 6, 1)), catalogue, loads, RoutePolicy())
    assert loads.methodist == {"m": 6}  # one cancelled, one assigned


def test_the_educators_current_municipality_decides():
    catalogue = Catalogue(staff={"a": staff("a", muni="m1"), "b": staff("b", muni="m2")})
    file, loads = EducatorFile(region=R, educator_id=ED), Loads()
    file.apply(registered(muni="m2", registered_on=date(2023, 9, 1)), catalogue, loads, RoutePolicy())
    assert file.municipality_id == "m2"
    file.apply(
        ev(
            EducatorMoved,
            EducatorTransferred(
                educator_id=ED, organization_id="s9", municipality_id="m1", transferred_on=date(2024, 1, 15)
            ),
        ),
        catalogue,
        loads,
        RoutePolicy(),
    )
    assert file.municipality_id == "m1"
    # a newer registration revision dated before the transfer does not undo it
    file.apply(registered(muni="m2", registered_on=date(2023, 9, 1), revision=2), catalogue, loads, RoutePolicy())
    assert file.municipality_id == "m1"
    route, _ = file.apply(diagnosed(deficit("c1")), catalogue, loads, RoutePolicy())
    assert route.payload.methodist_id == "a"


def test_a_member_who_left_or_was_not_yet_employed_is_never_proposed():
    hired_later = staff("b").model_copy(update={"employed_from": date(2024, 9, 1)})
    pool = [staff("a"), hired_later, staff("c")]
    departed = {"a": date(2024, 3, 1)}
    # "a" has left (even for a fact dated before the departure), "b" is not employed yet on the date
    assert choose_supporter(pool, "methodist", {}, 250, "m1", date(2024, 2, 1), departed) == "c"
    assert choose_supporter(pool, "methodist", {"c": 9}, 250, "m1", date(2024, 10, 1), departed) == "b"
    assert choose_supporter([staff("a")], "methodist", {}, 250, "m1", date(2024, 2, 1), departed) is None


def test_the_routes_service_stops_proposing_a_mentor_once_the_registry_reports_the_departure():
    young = {"birth_year": 2000, "career_start": date(2024, 9, 1), "registered_on": date(2024, 9, 2)}
    store = FakeStore()
    service = RoutesService(store)

    async def run() -> list[str | None]:
        await service.handle(incoming(ev(SupportStaffRegistered, staff("men-a", kind="mentor"))))
        await service.handle(incoming(ev(SupportStaffRegistered, staff("men-b", kind="mentor", muni="m2"))))
        first = await service.handle(incoming(registered(educator="ed-" + "1" * 32, **young)))
        await service.handle(incoming(ev(SupportStaffDeparted, StaffLeft(staff_id="men-a", left_on=date(2024, 10, 1)))))
        second = await service.handle(incoming(registered(educator="ed-" + "2" * 32, **young)))
        return [e.payload.staff_id for out in (first, second) for e in out.emit if isinstance(e, SupportProposed)]

    # the second teacher registered on the same day is proposed the mentor who stays
    assert asyncio.run(run()) == ["men-a", "men-b"]
    assert store.departed == {"men-a": date(2024, 10, 1)}


def _reference(staff, kind, load, max_load, municipality, on=None, departed=None):
    """The proposal as it was computed before the municipality's staff were looked at first:
    every member of the kind ranked."""
    from services.routes.domain.supporters import available, capacity

    able = [s for s in staff if s.kind == kind and available(s, on, departed or {})]
    if not able:
        return None
    return min(
        able,
        key=lambda s: (
            load.get(s.staff_id, 0) >= capacity(s, max_load),
            municipality is None or s.municipality_id != municipality,
            load.get(s.staff_id, 0),
            s.staff_id,
        ),
    ).staff_id


def test_the_catalogues_proposal_is_the_one_every_member_ranked_gives():
    import random

    rng = random.Random(5)
    for _ in range(400):
        pool = {}
        for n in range(rng.randint(0, 12)):
            sid = f"s{n:02d}"
            pool[sid] = staff(
                sid,
                kind=rng.choice(["methodist", "mentor"]),
                muni=rng.choice(["m1", "m2", "m3"]),
                capacity=rng.randint(1, 4),
                active=rng.random() > 0.1,
            ).model_copy(update={"employed_from": rng.choice([None, date(2024, 1, 1), date(2025, 1, 1)])})
        departed = {sid: date(2024, 6, 1) for sid in pool if rng.random() < 0.15}
        catalogue = Catalogue(staff=pool, departed=departed)
        load = {sid: rng.randint(0, 5) for sid in pool if rng.random() < 0.7}
        for kind in ("methodist", "mentor"):
            for muni in ("m1", "m2", "m4", None):
                on = rng.choice([date(2024, 6, 1), date(2025, 6, 1)])
                max_load = rng.choice([None, 2, 250])
                choice = catalogue.propose(kind, load, max_load, muni, on)
                assert choice.staff_id == _reference(pool.values(), kind, load, max_load, muni, on, departed)
                assert choice == propose_supporter(pool.values(), kind, load, max_load, muni, on, departed)
