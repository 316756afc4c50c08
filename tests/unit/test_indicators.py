"""Each indicator's edge cases, computed by the production fold and checked against numbers
derived in the test from the scenario."""

from __future__ import annotations

import random
from datetime import date

import pytest

from contracts import (
    CnppmStaffRecorded, CnppmStaffRegistered, CnppmStaffTrained, CnppmStaffTrainedByFederalOperator, Completion,
    Deficit, DeficitDiagnosed, Diagnosis, EducatorDeparted, EducatorLeft, EducatorMoved, EducatorRecorded,
    EducatorRegistered, EducatorTransferred, ManagementTeamRecorded, ManagementTeamRegistered,
    OrganizationRecorded, OrganizationRegistered, ProgramCompleted, ProgramRecorded, ProgramRegistered,
    RoadmapItemRecorded, RoadmapItemUpdated, Route, RouteAssigned, RouteCancelled, RouteClosure, RouteItem,
    Support, SupportAssigned, SupportStaffRecorded, SupportStaffRegistered, TeamCompletion, TeamProgramCompleted,
)
from services.indicators.domain.indicators import compute
from services.indicators.domain.state import RegionState, fold
from services.indicators.domain.targets import Targets

R = "RU-TST"
D = date(2024, 12, 31)
TARGETS = Targets.from_doc({"default": {"I1": 0.2, "I3": 0.3, "E1": 2}}).for_region(R)


def ed(n: int) -> str:
    return f"ed-{n:032x}"


def ev(cls, payload):
    return cls.create(payload, source="test", region=R)


def reg(n, role="teacher", org="s1", muni="m1", birth=1980, career=date(2005, 9, 1), on=date(2020, 1, 1), rev=1):
    return ev(EducatorRegistered, EducatorRecorded(educator_id=ed(n), role=role, organization_id=org,
                                                   municipality_id=muni, birth_year=birth, career_start=career,
                                                   registered_on=on, revision=rev))


def dx(n, day=date(2024, 3, 1), dxid=None):
    return ev(DeficitDiagnosed, Diagnosis(
        diagnosis_id=dxid or f"dx-{n}", session_id=f"s{n}", educator_id=ed(n), role="teacher", kind="initial",
        diagnosed_on=day, framework_id="fw", scores={"c": 40.0},
        deficits=(Deficit(competency="c", area="a", score=40, threshold=60, severity="severe"),)))


def route(n, programs=("p1",), day=date(2024, 3, 2), methodist="m-1", rid=None):
    return ev(RouteAssigned, Route(
        route_id=rid or f"r-{n}", educator_id=ed(n), diagnosis_id=f"dx-{n}", assigned_on=day, methodist_id=methodist,
        items=tuple(RouteItem(item_id=f"i{k}", kind="program", program_id=p, hours=36, covers=("c",), reason="x")
                    for k, p in enumerate(programs)), total_hours=36))


def program(pid, register_from=date(2023, 1, 1), register_to=None, topic="methodical", provider="iro",
            implemented=True, rev=1):
    return ev(ProgramRegistered, ProgramRecorded(
        program_id=pid, provider_id=provider, title=pid, hours=36, competencies=("c",), topic=topic,
        implemented=implemented, register_id="FR" if register_from else None, register_from=register_from,
        register_to=register_to, revision=rev))


def done(n, pid="p1", day=date(2024, 6, 1)):
    return ev(ProgramCompleted, Completion(educator_id=ed(n), program_id=pid, completed_on=day))


def table(events, as_of=D):
    state = RegionState(R)
    for e in events:
        fold(state, e)
    return {(v.indicator, v.scope_kind, v.scope_id): v for v in compute(state, as_of, TARGETS)}


def nd(t, key):
    v = t[key]
    return v.numerator, v.denominator


def test_i1_counts_each_active_educator_once_and_excludes_leavers():
    events = [reg(1), reg(2), reg(3), reg(4, on=date(2025, 2, 1)), dx(1), dx(1, day=date(2024, 9, 1), dxid="dx-1b"),
              dx(3), ev(EducatorDeparted, EducatorLeft(educator_id=ed(3), left_on=date(2024, 10, 1)))]
    t = table(events)
    assert nd(t, ("I1", "region", R)) == (1, 2)  # 1 diagnosed twice counts once; 3 left; 4 not yet registered
    assert t[("I1", "region", R)].value == 0.5 and t[("I1", "region", R)].target_met is True
    assert nd(table(events, as_of=date(2024, 9, 30)), ("I1", "region", R)) == (2, 3)  # before 3 left


def test_moved_educator_counts_at_the_new_school_from_the_transfer_date():
    move = ev(EducatorMoved, EducatorTransferred(educator_id=ed(1), organization_id="s2", municipality_id="m2",
                                                 transferred_on=date(2024, 7, 1)))
    t = table([reg(1), dx(1), move])
    assert nd(t, ("I1", "municipality", "m2")) == (1, 1) and nd(t, ("I1", "organization", "s2")) == (1, 1)
    assert ("I1", "municipality", "m1") not in t
    before = table([reg(1), dx(1), move], as_of=date(2024, 6, 30))
    assert nd(before, ("I1", "organization", "s1")) == (1, 1) and ("I1", "organization", "s2") not in before


def test_i2_routes_developed_even_if_cancelled_later():
    cancel = ev(RouteCancelled, RouteClosure(route_id="r-1", educator_id=ed(1), closed_on=date(2024, 5, 1), reason="x"))
    assert nd(table([reg(1), reg(2), route(1), cancel]), ("I2", "region", R)) == (1, 2)


def test_i3_register_program_selected_by_route_teachers_only():
    events = [program("p1"), program("p2", register_from=None), program("p3", register_to=date(2024, 5, 31)),
              reg(1), route(1, ("p1",)), done(1, "p1"),                     # counts
              reg(2), route(2, ("p2",)), done(2, "p2"),                     # not in the register
              reg(3), route(3, ("p3",)), done(3, "p3", date(2024, 6, 1)),   # completed after it left the register
              reg(4), route(4, ("p3",)), done(4, "p3", date(2024, 5, 20)),  # completed while still in it
              reg(5), done(5, "p1"),                                        # no route selected it
              reg(6), route(6, ("p1",), day=date(2024, 7, 1)), done(6, "p1", date(2024, 6, 1)),  # route came later
              reg(7, role="manager"), route(7, ("p1",)), done(7, "p1")]     # managers are not in I3
    assert nd(table(events), ("I3", "region", R)) == (2, 6)


def test_program_leaving_the_register_changes_i6_but_not_past_i3():
    left = program("p1", register_to=date(2024, 6, 30), rev=2)
    events = [program("p1"), program("p2"), program("p3", register_from=None), program("p4", implemented=False),
              reg(1), route(1, ("p1",)), done(1, "p1", date(2024, 6, 1)), left]
    t = table(events)
    assert nd(t, ("I6", "region", R)) == (1, 3)  # p2 only; p4 not implemented
    assert nd(t, ("I3", "region", R)) == (1, 1)  # completed while p1 was in the register
    assert nd(table(events, as_of=date(2024, 6, 15)), ("I6", "region", R)) == (2, 3)


def test_i6_per_provider_organization():
    org = ev(OrganizationRegistered, OrganizationRecorded(organization_id="iro", kind="institute", title="ИРО",
                                                         municipality_id="m9"))
    t = table([org, program("a"), program("b", register_from=None), program("c", provider="unknown")])
    assert nd(t, ("I6", "organization", "iro")) == (1, 2) and nd(t, ("I6", "municipality", "m9")) == (1, 2)
    assert nd(t, ("I6", "region", R)) == (2, 3) and ("I6", "organization", "unknown") not in t


@pytest.mark.parametrize(("birth", "career", "counted"), [
    (1990, date(2022, 9, 1), True),   # 34 in 2024, third year
    (1989, date(2022, 9, 1), False),  # 35 in 2024
    (1995, date(2022, 1, 1), True),   # career start + 3 years = 2025-01-01 > D
    (1995, date(2021, 12, 31), False),  # exactly 3 years on D
    (1995, date(2025, 1, 15), False),  # has not started yet
])
def test_i5_age_and_first_three_years(birth, career, counted):
    support = ev(SupportAssigned, Support(support_id="s", educator_id=ed(1), form="mentoring",
                                          assigned_on=date(2024, 1, 1)))
    t = table([reg(1, birth=birth, career=career), support])
    assert (("I5", "region", R) in t) == counted
    if counted:
        assert nd(t, ("I5", "region", R)) == (1, 1)


def test_i5_support_must_be_current_and_managers_excluded():
    ended = ev(SupportAssigned, Support(support_id="s1", educator_id=ed(1), form="mentoring",
                                        assigned_on=date(2023, 1, 1), until=date(2024, 6, 1)))
    events = [reg(1, birth=1995, career=date(2023, 9, 1)), ended, reg(2, role="manager", birth=1995,
                                                                      career=date(2023, 9, 1))]
    assert nd(table(events), ("I5", "region", R)) == (0, 1)


def test_i4_quality_management_teams():
    team = lambda t, o: ev(ManagementTeamRegistered, ManagementTeamRecorded(  # noqa: E731
        team_id=t, organization_id=o, municipality_id="m1", size=4))
    comp = lambda t, p, day=date(2024, 4, 1): ev(TeamProgramCompleted, TeamCompletion(  # noqa: E731
        team_id=t, program_id=p, completed_on=day))
    events = [program("q", topic="education_quality_management"), program("other"), team("t1", "s1"),
              team("t2", "s2"), team("t3", "s3"), comp("t1", "q"), comp("t2", "other"), comp("t3", "q", date(2025, 3, 1))]
    assert nd(table(events), ("I4", "region", R)) == (1, 3)


def test_e1_load_per_methodist_and_max():
    staff = lambda s, muni="m1", active=True: ev(SupportStaffRegistered, SupportStaffRecorded(  # noqa: E731
        staff_id=s, kind="methodist", organization_id="cnppm", municipality_id=muni, capacity=250, active=active))
    closed = ev(RouteCancelled, RouteClosure(route_id="r-3", educator_id=ed(3), closed_on=date(2024, 8, 1), reason="x"))
    events = [staff("m-1"), staff("m-2", "m2"), staff("m-3", active=False),
              reg(1), route(1, methodist="m-1"), reg(2), route(2, methodist="m-1"), reg(3), route(3, methodist="m-2"),
              closed, reg(4), route(4, methodist="m-3"), reg(5)]
    t = table(events)
    e1 = t[("E1", "region", R)]
    assert (e1.numerator, e1.denominator, e1.value, e1.extra["max_load"]) == (2, 2, 1.0, 2.0)
    assert e1.target_met is True  # max load 2 <= target 2
    assert nd(t, ("E1", "municipality", "m2")) == (0, 1)


def test_e2_trained_cnppm_staff_and_roadmap():
    staff = lambda s, active=True: ev(CnppmStaffRegistered, CnppmStaffRecorded(  # noqa: E731
        staff_id=s, organization_id="cnppm", active=active))
    trained = lambda s, day=date(2024, 2, 1): ev(CnppmStaffTrainedByFederalOperator, CnppmStaffTrained(  # noqa: E731
        staff_id=s, program_title="ФО", trained_on=day))
    item = lambda i, status: ev(RoadmapItemUpdated, RoadmapItemRecorded(  # noqa: E731
        item_id=i, title=i, responsible="ЦНППМ", due_date=date(2024, 6, 1), expected_result="r", status=status))
    t = table([staff("a"), staff("b"), staff("c", active=False), trained("a"), trained("c"), trained("b", date(2025, 1, 5)),
               item("1", "done"), item("2", "planned"), item("3", "cancelled")])
    assert nd(t, ("E2", "region", R)) == (1, 2) and nd(t, ("RM", "region", R)) == (1, 2)


def test_duplicates_and_any_order_give_the_same_table():
    events = [program("p1"), reg(1), reg(1, org="s7", rev=2), route(1), done(1), dx(1), reg(2), dx(2),
              ev(EducatorMoved, EducatorTransferred(educator_id=ed(2), organization_id="s3", municipality_id="m3",
                                                    transferred_on=date(2024, 2, 1))),
              ev(EducatorDeparted, EducatorLeft(educator_id=ed(1), left_on=date(2025, 1, 1)))]
    expected = table(events)
    rng = random.Random(5)
    for _ in range(20):
        shuffled = events + rng.sample(events, k=4)
        rng.shuffle(shuffled)
        assert table(shuffled) == expected
    assert nd(expected, ("I1", "organization", "s7")) == (1, 1)  # revision 2 wins, whatever the order
