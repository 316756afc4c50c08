"""Events about an educator arriving before the educator's registration: diagnoses and
progress wait in the file and are applied, in arrival order, right after the registration;
the outcome is the one in-order delivery gives (same event ids, same content)."""

from __future__ import annotations

import itertools
from datetime import date

from contracts import (
    Activity,
    ActivityCompleted,
    Completion,
    EducatorDeparted,
    EducatorLeft,
    Enrolment,
    ProgramCompleted,
    ProgramEnrolled,
    ProgramRegistered,
    SupportStaffRegistered,
)
from services.routes.domain.builder import route_id_for
from services.routes.domain.config import RoutePolicy
from services.routes.domain.educator import Catalogue, EducatorFile, Loads
from services.routes.service import RoutesService
from tests.support.routes import (
    DAY,
    ED,
    FakeStore,
    R,
    deficit,
    diagnosed,
    ev,
    incoming,
    names,
    program,
    registered,
    staff,
)

CATALOGUE = Catalogue(
    programs={"p": program("p", ["c1"])},
    staff={"a": staff("a", muni="m1"), "b": staff("b", muni="m2"), "men": staff("men", kind="mentor", muni="m2")},
)
ROUTE = route_id_for("dx-1")


def young_in_m2():
    return registered(1998, date(2023, 9, 1), date(2023, 9, 1), muni="m2")


def progress():
    return [
        ev(ProgramEnrolled, Enrolment(educator_id=ED, program_id="p", route_id=ROUTE, enrolled_on=DAY)),
        ev(ProgramCompleted, Completion(educator_id=ED, program_id="p", route_id=ROUTE, completed_on=date(2024, 5, 1))),
        ev(
            ActivityCompleted,
            Activity(
                educator_id=ED, activity_kind="mentoring", route_id=ROUTE, item_id="f1", completed_on=date(2024, 6, 1)
            ),
        ),
    ]


def run(events) -> tuple[EducatorFile, list]:
    file, loads, out = EducatorFile(region=R, educator_id=ED), Loads(), []
    for event in events:
        out.extend(file.apply(event, CATALOGUE, loads, RoutePolicy()))
    return file, out


def contents(events) -> list[tuple[str, str]]:
    return sorted((str(e.event_id), e.content_hash()) for e in events)


def test_a_diagnosis_and_progress_before_the_registration_wait_for_it():
    file, early = run([diagnosed(deficit("c1")), *progress()])
    assert early == [] and len(file.held) == 4 and file.routes == []
    _, out = run([diagnosed(deficit("c1")), *progress(), young_in_m2()])
    assert names(out) == [
        "SupportProposed",
        "RouteAssigned",
        "SupportProposed",
        "ProgramCompletionAccepted",
        "RouteCompleted",
    ]
    route = out[1].payload
    assert (out[2].payload.role, out[2].payload.route_id) == ("methodist", route.route_id)
    # the registration made the route what it is: the municipality's methodist, mentoring
    assert route.methodist_id == "b" and [i.kind for i in route.items] == ["program", "mentoring"]
    assert out[4].payload.closed_on == date(2024, 6, 1)


def refused_in_any_case(events) -> bool:
    """Progress after the registration but before the diagnosis names a route the educator
    does not have: refused whatever the rest of the order."""
    types = [e.event_type for e in events]
    registration, diagnosis = types.index("EducatorRegistered"), types.index("DeficitDiagnosed")
    return any(registration < i < diagnosis for i in range(len(events)))


def test_any_arrival_order_gives_what_in_order_delivery_gives():
    in_order = [young_in_m2(), diagnosed(deficit("c1")), *progress()]
    file, expected = run(in_order)
    checked = 0
    for order in itertools.permutations(in_order[1:]):
        for at in range(len(order) + 1):
            events = [*order[:at], in_order[0], *order[at:]]
            if refused_in_any_case(events):
                continue
            other, out = run(events)
            assert contents(out) == contents(expected), [e.event_type for e in events]
            assert (other.routes, other.support, other.programs_done, other.activities) == (
                file.routes,
                file.support,
                file.programs_done,
                file.activities,
            )
            checked += 1
    assert checked > 24


def test_redelivery_before_and_after_the_registration_changes_nothing():
    dx = diagnosed(deficit("c1"))
    file, _ = run([dx, dx])
    assert len(file.held) == 1
    loads = Loads()
    first = file.apply(young_in_m2(), CATALOGUE, loads, RoutePolicy())
    assert file.held == [] and names(first) == ["SupportProposed", "RouteAssigned", "SupportProposed"]
    assert file.apply(young_in_m2(), CATALOGUE, loads, RoutePolicy()) == first  # redelivered: the same events
    assert file.apply(dx, CATALOGUE, loads, RoutePolicy()) == []  # held before: emitted nothing then
    assert len(file.routes) == 1 and loads.methodist == {"b": 1}


def test_held_progress_waits_for_its_route_and_a_held_one_refused_later_is_dropped_with_the_reason():
    stray = ev(ProgramCompleted, Completion(educator_id=ED, program_id="p", route_id="route-dx-9", completed_on=DAY))
    wrong_item = ev(
        ActivityCompleted,
        Activity(educator_id=ED, activity_kind="internship", route_id=ROUTE, item_id="f1", completed_on=DAY),
    )
    file, out = run([stray, wrong_item, registered(), diagnosed(deficit("c1"))])
    assert names(out) == ["RouteAssigned", "SupportProposed"] and file.programs_done == [] and file.activities == []
    assert len(file.held) == 1 and "route-dx-9" in file.held[0]  # its diagnosis may still come
    assert len(file.dropped) == 1 and "no internship item f1" in file.dropped[0]
    # given back once to be dead-lettered (no origin was given: where it was read is unknown)
    assert [(e.event_id, where) for e, _, where in file.take_refused()] == [(wrong_item.event_id, None)]
    assert file.take_refused() == []


def test_a_departure_is_applied_as_it_comes_and_a_held_diagnosis_after_it_gets_no_route():
    left = ev(EducatorDeparted, EducatorLeft(educator_id=ED, left_on=date(2024, 2, 1)))
    file, out = run([diagnosed(deficit("c1")), left, registered()])
    assert out == [] and file.routes == [] and file.left_on == date(2024, 2, 1)


async def test_the_service_stores_held_events_and_releases_them_in_a_later_batch():
    store = FakeStore()
    service = RoutesService(store)
    await service.handle(
        incoming(ev(ProgramRegistered, program("p", ["c1"])), ev(SupportStaffRegistered, staff("b", muni="m2")))
    )
    assert (await service.handle(incoming(diagnosed(deficit("c1")), *progress()[:2]))).emit == []
    assert len(store.files_[f"{R}:{ED}"]["held"]) == 3
    out = await RoutesService(store).handle(incoming(registered(muni="m2")))  # a restarted instance
    assert names(out.emit) == ["RouteAssigned", "SupportProposed", "ProgramCompletionAccepted", "RouteCompleted"]
    assert out.emit[0].payload.methodist_id == "b"
    assert (await store.loads(R)).methodist == {}  # the route is already completed
