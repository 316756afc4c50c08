"""I4 (management teams), E1 (educators per regional methodist, with the maximum load), E2
(ЦНППМ staff trained by the federal operator), RM (road map) and the `target_met` rule."""

from __future__ import annotations

from datetime import date

from contracts import StaffLeft, SupportStaffDeparted
from services.indicators.domain.targets import Targets
from tests.support.indicators import (
    TARGETS,
    R,
    attach,
    cnppm,
    dx,
    ev,
    item,
    methodist,
    moved,
    nd,
    program,
    reg,
    route,
    table,
    team,
    team_done,
    trained,
)

QUALITY = "education_quality_management"


def test_i4_teams_that_completed_a_quality_management_program():
    events = [
        program("q", topic=QUALITY),
        program("other"),
        team("t1", "s1"),
        team("t2", "s2"),
        team("t3", "s3", muni="m2"),
        team("t4", "s4"),
        team_done("t1", "q"),
        team_done("t2", "other"),
        team_done("t3", "q", date(2025, 3, 1)),
        team_done("t9", "q"),
    ]  # a team never registered: not counted
    t = table(events)
    assert nd(t, ("I4", "region", R)) == (1, 4)  # t1 only: t2 took another topic, t3 after D, t4 nothing
    assert nd(t, ("I4", "municipality", "m1")) == (1, 3) and nd(t, ("I4", "municipality", "m2")) == (0, 1)
    assert nd(t, ("I4", "organization", "s1")) == (1, 1)
    assert nd(table(events, as_of=date(2025, 3, 1)), ("I4", "region", R)) == (2, 4)


def test_i4_completion_known_before_the_team_or_the_program_counts_once_they_arrive():
    events = [team_done("t1", "q"), team("t1", "s1"), program("q", topic=QUALITY)]
    assert nd(table(events), ("I4", "region", R)) == (1, 1)
    assert nd(table(events[:2]), ("I4", "region", R)) == (0, 1)  # the program's topic is not known yet


def test_e1_teachers_attached_per_methodist_employed_on_d_with_the_maximum_load_and_those_without():
    events = [
        methodist("m-1"),
        methodist("m-2", "m2"),
        methodist("m-3", active=False),
        reg(1),
        attach(1, "m-1"),
        reg(2),
        attach(2, "m-1"),
        reg(3),
        attach(3, "m-2", end=date(2024, 7, 31)),  # attached until 31 July
        reg(4),
        attach(4, "m-3"),  # an inactive methodist: not attached on D
        reg(5),
        attach(5, "m-1", confirmed=False),  # not confirmed by the organization
        reg(6),
        reg(7, role="manager"),
        attach(7, "m-1"),  # a manager: E1 counts педагогических работников
        route(6, methodist="m-2"),  # the route's methodist is a proposal: not an attachment
    ]
    t = table(events)
    e1 = t[("E1", "region", R)]
    assert (e1.numerator, e1.denominator) == (2, 2) and e1.value == 1.0
    assert e1.extra == {"max_load": 2.0, "without_methodist": 4.0, "methodists_missing": 1.0}  # 6 teachers, 2 at most
    assert e1.target == 2 and e1.target_met is True  # max load 2 <= 2
    assert nd(t, ("E1", "municipality", "m1")) == (2, 1) and t[("E1", "municipality", "m1")].value == 2.0
    assert t[("E1", "municipality", "m1")].extra == {"without_methodist": 4.0}
    assert nd(t, ("E1", "municipality", "m2")) == (0, 1)
    assert nd(table(events, as_of=date(2024, 7, 31)), ("E1", "region", R)) == (3, 2)


def test_e1_the_cap_is_no_filter_a_methodist_with_300_teachers_fails():
    events = [methodist("a"), methodist("b")] + [e for n in range(1, 301) for e in (reg(n), attach(n, "a"))]
    t = table(events, targets=Targets.from_doc({"default": {"E1": 250}}))
    region = t[("E1", "region", R)]
    assert (region.numerator, region.denominator, region.value, region.extra["max_load"]) == (300, 2, 150.0, 300.0)
    assert region.target_met is False  # 300 on "a" > 250, although the average is 150
    assert region.extra["methodists_missing"] == 0.0  # two methodists could carry 300 at 250 each


def test_e1_target_uses_the_max_load_at_region_level_and_the_value_elsewhere():
    events = (
        [methodist("a"), methodist("b")]
        + [e for n in (1, 2, 3) for e in (reg(n), attach(n, "a"))]
        + [reg(4), attach(4, "b")]
    )
    t = table(events)  # target E1 = 2
    region = t[("E1", "region", R)]
    assert (region.numerator, region.denominator, region.value, region.extra["max_load"]) == (4, 2, 2.0, 3.0)
    assert region.target_met is False  # 3 teachers on "a" > 2, although the average is 2
    assert t[("E1", "municipality", "m1")].value == 2.0 and t[("E1", "municipality", "m1")].target_met is True


def test_e1_one_teacher_counts_once_but_loads_each_of_their_methodists():
    events = [methodist("a"), methodist("b"), reg(1), attach(1, "a"), attach(1, "a", aid="x"), attach(1, "b")]
    e1 = table(events)[("E1", "region", R)]
    assert (e1.numerator, e1.denominator, e1.extra["max_load"]) == (1, 2, 1.0)


def test_e1_methodists_count_while_employed_and_teachers_by_placement():
    events = [
        methodist("a", muni="m1"),
        ev(SupportStaffDeparted, StaffLeft(staff_id="a", left_on=date(2024, 10, 1))),
        methodist("b", muni="m1"),
        reg(1),
        attach(1, "b"),
        moved(1, "s2", "m2", date(2024, 9, 1)),
    ]
    t = table(events)
    assert nd(t, ("E1", "municipality", "m2")) == (1, 0) and t[("E1", "municipality", "m2")].value is None
    assert nd(t, ("E1", "municipality", "m1")) == (0, 1)  # "a" left on 1 October
    assert nd(table(events, as_of=date(2024, 9, 30)), ("E1", "region", R)) == (1, 2)


def test_e2_active_cnppm_staff_trained_by_the_federal_operator():
    events = [
        cnppm("a"),
        cnppm("b"),
        cnppm("c", active=False),
        cnppm("d", organization="cnppm-2"),
        trained("a"),
        trained("a", date(2024, 5, 1), "ещё курс"),
        trained("c"),
        trained("b", date(2025, 1, 5)),
        trained("e"),
    ]  # e never registered
    t = table(events)
    assert nd(t, ("E2", "region", R)) == (1, 3)  # a; b after D; c inactive; d untrained
    assert nd(t, ("E2", "organization", "cnppm")) == (1, 2) and nd(t, ("E2", "organization", "cnppm-2")) == (0, 1)
    assert t[("E2", "region", R)].target is None  # TARGETS of these tests set no E2


def test_no_target_is_assumed_and_seed_002_targets_are_for_the_jao_in_2024():
    t = table([cnppm("a"), cnppm("b"), trained("a")], targets=Targets())
    assert t[("E2", "region", R)].target is None and t[("E2", "region", R)].target_met is None
    jao = Targets.from_doc({"regions": {R: {"years": {2024: {"E2": 1.0}}}}})
    t = table([cnppm("a"), cnppm("b"), trained("a")], targets=jao)
    assert t[("E2", "region", R)].target == 1.0 and t[("E2", "region", R)].target_met is False
    assert table([cnppm("a")], as_of=date(2025, 1, 1), targets=jao)[("E2", "region", R)].target is None


def test_rm_done_items_among_those_not_cancelled_highest_revision_wins():
    events = [
        item("1", "done"),
        item("2", "planned"),
        item("3", "cancelled"),
        item("4", "in_progress"),
        item("5", "planned"),
        item("2", "done", rev=2),
        item("4", "cancelled", rev=2),
    ]
    t = table(events)
    counted = {"1", "2", "5"}  # 3 cancelled; 4 cancelled by revision 2
    done = {"1", "2"}  # 2 done by revision 2
    assert nd(t, ("RM", "region", R)) == (len(done), len(counted))
    assert t[("RM", "region", R)].target is None
    assert table(list(reversed(events))) == t


def test_target_met_is_value_at_least_target_and_none_without_target():
    events = [reg(1), reg(2), reg(3), reg(4), reg(5), dx(1)]
    t = table(events)  # I1 = 1/5 = 0.2, target 0.2
    assert t[("I1", "region", R)].target_met is True
    assert table(events, targets=Targets.from_doc({"default": {"I1": 0.21}}))[("I1", "region", R)].target_met is False
    assert t[("I2", "region", R)].target is None and t[("I2", "region", R)].target_met is None
    assert TARGETS.for_region(R)["I1"] == 0.2


def test_rows_are_ordered_by_indicator_then_scope():
    events = [methodist("a"), reg(1), dx(1), route(1, methodist="a"), item("1", "done"), cnppm("c")]
    keys = list(table(events))
    order = [k[0] for k in keys]
    assert order == sorted(order, key=["I1", "I2", "I3", "I4", "I4R", "I5", "I6", "E1", "E2", "RM"].index)
    assert keys[:3] == [("I1", "region", R), ("I1", "municipality", "m1"), ("I1", "organization", "s1")]
