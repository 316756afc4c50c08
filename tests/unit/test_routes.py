"""Route rules: coverage, register first, hour budget, informal formats, reasons, methodist
capacity, lifecycle, young-teacher support, completion, redelivery."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import (
    ActivityCompleted, Activity, Completion, Deficit, DeficitDiagnosed, Diagnosis, EducatorDeparted, EducatorLeft,
    EducatorRecorded, EducatorRegistered, ProgramCompleted, ProgramRecorded, ProgramRegistered,
    SupportStaffRecorded, SupportStaffRegistered,
)
from rsnms_runtime.kafka import Incoming
from services.routes.domain.builder import build_route, choose_supporter
from services.routes.domain.config import RoutePolicy
from services.routes.domain.educator import Catalogue, EducatorFile, Loads
from services.routes.domain.lifecycle import IllegalTransition, Lifecycle
from services.routes.service import RoutesService

R = "RU-TST"
ED = "ed-" + "b" * 32
DAY = date(2024, 3, 1)


def program(pid, comps, hours=36, register=True, register_to=None, implemented=True):
    return ProgramRecorded(program_id=pid, provider_id="iro", title=f"Программа {pid}", hours=hours,
                           competencies=tuple(comps), topic="methodical", implemented=implemented,
                           register_id=f"FR-{pid}" if register else None,
                           register_from=date(2023, 1, 1) if register else None, register_to=register_to)


def deficit(c, score=40.0, threshold=60.0, severity="severe", area="methodical"):
    return Deficit(competency=c, area=area, score=score, threshold=threshold, severity=severity)


def diagnosis(*deficits, dx="dx-1", day=DAY):
    return Diagnosis(diagnosis_id=dx, session_id=dx[3:], educator_id=ED, role="teacher", kind="initial",
                     diagnosed_on=day, framework_id="fw", scores={d.competency: d.score for d in deficits},
                     deficits=tuple(deficits))


def test_register_programs_first_and_multi_deficit_program_taken_once():
    catalogue = [program("a-outside", ["c1"], hours=16, register=False), program("b-reg", ["c1"], hours=72),
                 program("c-both", ["c2", "c3"], hours=36), program("d-c2", ["c2"], hours=16)]
    route = build_route(diagnosis(deficit("c1"), deficit("c2"), deficit("c3")), catalogue, set(), 144, False, "m1")
    assert [(i.program_id, i.covers) for i in route.items] == [("b-reg", ("c1",)), ("c-both", ("c2", "c3"))]
    assert route.total_hours == 108 and route.uncovered == () and route.methodist_id == "m1"
    assert all("ФР ДПП" in i.reason and "закрывает дефицит" in i.reason for i in route.items)


def test_register_window_is_checked_on_the_diagnosis_date():
    left = program("left", ["c1"], register_to=date(2024, 1, 31))
    route = build_route(diagnosis(deficit("c1")), [left, program("kept", ["c1"], hours=72)], set(), 144, False, None)
    assert route.items[0].program_id == "kept" and route.items[0].in_federal_register


def test_budget_and_uncovered_deficits_get_informal_formats():
    catalogue = [program("big", ["c1"], hours=120), program("also-big", ["c2"], hours=72)]
    route = build_route(diagnosis(deficit("c1", severity="critical", score=20), deficit("c2", area="digital")),
                        catalogue, set(), 144, False, None)
    assert [i.program_id for i in route.items if i.kind == "program"] == ["big"]
    assert route.uncovered == ("c2",)
    informal = [i for i in route.items if i.kind != "program"]
    assert [(i.kind, i.covers) for i in informal] == [("master_class", ("c2",))] and "144 ч" in informal[0].reason


def test_completed_and_not_implemented_programs_are_not_offered_and_young_get_mentoring():
    catalogue = [program("done", ["c1"]), program("off", ["c1"], implemented=False), program("next", ["c1"], hours=72)]
    route = build_route(diagnosis(deficit("c1")), catalogue, {"done"}, 144, True, None)
    assert [i.program_id for i in route.items if i.kind == "program"] == ["next"]
    assert route.items[-1].kind == "mentoring"


def staff(sid, kind="methodist", muni="m1", capacity=250, active=True):
    return SupportStaffRecorded(staff_id=sid, kind=kind, organization_id="cnppm", municipality_id=muni,
                                capacity=capacity, active=active)


def test_methodist_with_spare_capacity_same_municipality_first():
    pool = [staff("a", muni="m2"), staff("b", muni="m1", capacity=2), staff("c", muni="m1"), staff("z", active=False)]
    assert choose_supporter(pool, "methodist", {"b": 1}, 250, "m1") == "c"  # same municipality, less loaded
    assert choose_supporter(pool, "methodist", {"b": 2, "c": 250}, 250, "m1") == "a"  # b full, c at max load
    assert choose_supporter(pool, "methodist", {"a": 5, "b": 2, "c": 5}, 5, "m1") is None


def test_lifecycle_transitions_and_history():
    life = Lifecycle.drafted(DAY, "built")
    life.move("active", DAY, "assigned")
    life.move("completed", date(2024, 6, 1), "done")
    assert [t.status for t in life.history] == ["draft", "active", "completed"]
    with pytest.raises(IllegalTransition):
        life.move("active", date(2024, 7, 1), "again")
    with pytest.raises(IllegalTransition):
        Lifecycle.drafted(DAY, "built").move("completed", DAY, "skip")


def ev(cls, payload):
    return cls.create(payload, source="test", region=R)


def registered(birth_year, career_start, registered_on=date(2024, 9, 1), role="teacher"):
    return ev(EducatorRegistered, EducatorRecorded(educator_id=ED, role=role, organization_id="s1",
                                                   municipality_id="m1", birth_year=birth_year,
                                                   career_start=career_start, registered_on=registered_on))


@pytest.mark.parametrize(("birth_year", "career_start", "young"), [
    (1990, date(2022, 9, 1), True),    # 34 in 2024, second year
    (1989, date(2022, 9, 1), False),   # 35 in 2024
    (1995, date(2021, 9, 2), True),    # 2 years 364 days on 2024-09-01
    (1995, date(2021, 9, 1), False),   # exactly 3 years
])
def test_young_teacher_support_boundaries(birth_year, career_start, young):
    file = EducatorFile(region=R, educator_id=ED)
    catalogue = Catalogue(staff={"men": staff("men", kind="mentor", capacity=1)})
    out = file.apply(registered(birth_year, career_start), catalogue, Loads(), RoutePolicy())
    assert [type(e).__name__ for e in out] == (["SupportAssigned"] if young else [])
    if young:
        assert out[0].payload.mentor_id == "men" and out[0].payload.until < career_start.replace(year=career_start.year + 3)


def test_managers_get_no_young_teacher_support():
    out = EducatorFile(region=R, educator_id=ED).apply(registered(1995, date(2023, 9, 1), role="manager"),
                                                       Catalogue(), Loads(), RoutePolicy())
    assert out == []


def test_route_completes_when_every_item_is_done_and_new_diagnosis_supersedes():
    catalogue = Catalogue(programs={"p": program("p", ["c1"])}, staff={"m": staff("m")})
    loads = Loads()
    file = EducatorFile(region=R, educator_id=ED)
    assigned = file.apply(ev(DeficitDiagnosed, diagnosis(deficit("c1"), deficit("c9", area="digital"))),
                          catalogue, loads, RoutePolicy())
    route = assigned[0].payload
    assert [i.kind for i in route.items] == ["program", "master_class"] and loads.methodist == {"m": 1}
    assert file.apply(ev(ProgramCompleted, Completion(educator_id=ED, program_id="p", completed_on=date(2024, 5, 1))),
                      catalogue, loads, RoutePolicy()) == []
    done = file.apply(ev(ActivityCompleted, Activity(educator_id=ED, activity_kind="master_class",
                                                     route_id=route.route_id, completed_on=date(2024, 6, 1))),
                      catalogue, loads, RoutePolicy())
    assert type(done[0]).__name__ == "RouteCompleted" and done[0].payload.closed_on == date(2024, 6, 1)
    assert loads.methodist == {"m": 0} and file.routes[0].status == "completed"
    again = file.apply(ev(DeficitDiagnosed, diagnosis(deficit("c2"), dx="dx-2", day=date(2024, 9, 1))),
                       catalogue, loads, RoutePolicy())
    assert [type(e).__name__ for e in again] == ["RouteAssigned"] and again[0].payload.uncovered == ("c2",)
    third = file.apply(ev(DeficitDiagnosed, diagnosis(deficit("c1"), dx="dx-3", day=date(2024, 10, 1))),
                       catalogue, loads, RoutePolicy())
    assert [type(e).__name__ for e in third] == ["RouteCancelled", "RouteAssigned"]
    assert [r.status for r in file.routes] == ["completed", "cancelled", "active"]
    assert "p" not in [i.program_id for i in third[1].payload.items]  # already completed before dx-3


def test_departure_cancels_the_active_route():
    catalogue = Catalogue(programs={"p": program("p", ["c1"])})
    file = EducatorFile(region=R, educator_id=ED)
    file.apply(ev(DeficitDiagnosed, diagnosis(deficit("c1"))), catalogue, Loads(), RoutePolicy())
    out = file.apply(ev(EducatorDeparted, EducatorLeft(educator_id=ED, left_on=date(2024, 4, 1))),
                     catalogue, Loads(), RoutePolicy())
    assert type(out[0]).__name__ == "RouteCancelled" and file.routes[0].status == "cancelled"


class FakeStore:
    def __init__(self):
        self.files_: dict[str, dict] = {}
        self.programs: dict[str, ProgramRecorded] = {}
        self.staff: dict[str, SupportStaffRecorded] = {}

    async def files(self, keys):
        return {k: EducatorFile.model_validate(self.files_[k]) for k in keys if k in self.files_}

    async def catalogue(self, region):
        return Catalogue(programs=dict(self.programs), staff=dict(self.staff))

    async def loads(self, region):
        loads = Loads()
        for f in self.files_.values():
            active = EducatorFile.model_validate(f).active_route()
            if active and active.route.methodist_id:
                loads.methodist[active.route.methodist_id] = loads.methodist.get(active.route.methodist_id, 0) + 1
        return loads

    async def save_catalogue(self, region, programs, staff):
        self.programs.update({p.program_id: p for p in programs})
        self.staff.update({s.staff_id: s for s in staff})

    async def save_files(self, files):
        for f in files:
            self.files_[f"{f.region}:{f.educator_id}"] = f.model_dump(mode="json")


def incoming(*events):
    return [Incoming(e, "t", 0, n, e.to_bytes()) for n, e in enumerate(events)]


async def test_redelivered_batch_reemits_identical_events_without_double_assignment():
    store = FakeStore()
    service = RoutesService(store, RoutePolicy(methodist_max_load=1))
    batch = incoming(ev(ProgramRegistered, program("p", ["c1"])), ev(SupportStaffRegistered, staff("m")),
                     ev(DeficitDiagnosed, diagnosis(deficit("c1"))))
    first = await service.handle(batch)
    assert [type(e).__name__ for e in first.emit] == ["RouteAssigned"]
    assert first.emit[0].payload.items[0].program_id == "p" and first.emit[0].payload.methodist_id == "m"
    restarted = RoutesService(store, RoutePolicy(methodist_max_load=1))  # a crash before the commit
    again = await restarted.handle(batch)
    assert again.emit == first.emit
    other = ev(DeficitDiagnosed, diagnosis(deficit("c1")).model_copy(update={"educator_id": "ed-" + "c" * 32}))
    out = await restarted.handle(incoming(other))
    assert out.emit[0].payload.methodist_id is None  # the only methodist is at capacity (1)
