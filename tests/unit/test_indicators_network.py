"""I4 (management teams), E1 (educators per regional methodist, with the maximum load), E2
(ЦНППМ staff trained by the federal operator), RM (road map) and the `target_met` rule."""

from __future__ import annotations

from datetime import date

from services.indicators.domain.targets import Targets
from tests.support.indicators import (
    TARGETS,
    D,
    R,
    closed,
    cnppm,
    dx,
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


def test_e1_educators_per_active_methodist_and_the_maximum_load():
    events = [
        methodist("m-1"),
        methodist("m-2", "m2"),
        methodist("m-3", active=False),
        reg(1),
        route(1, methodist="m-1"),
        reg(2),
        route(2, methodist="m-1"),
        reg(3),
        route(3, methodist="m-2"),
        closed(3, date(2024, 8, 1)),  # cancelled: no longer carried
        reg(4),
        route(4, methodist="m-3"),  # an inactive methodist
        reg(5),
        route(5, methodist=None),  # no methodist
        reg(6),
    ]
    t = table(events)
    e1 = t[("E1", "region", R)]
    carried = {"m-1": 2, "m-2": 0}
    assert (e1.numerator, e1.denominator) == (sum(carried.values()), len(carried))
    assert e1.value == 1.0 and e1.extra == {"max_load": 2.0}
    assert e1.target == 2 and e1.target_met is True  # max load 2 <= 2
    assert nd(t, ("E1", "municipality", "m1")) == (2, 1) and t[("E1", "municipality", "m1")].value == 2.0
    assert nd(t, ("E1", "municipality", "m2")) == (0, 1)
    before_cancel = table(events, as_of=date(2024, 7, 31))
    assert nd(before_cancel, ("E1", "region", R)) == (3, 2)


def test_e1_target_uses_the_max_load_at_region_level_and_the_value_elsewhere():
    events = (
        [methodist("a"), methodist("b")]
        + [e for n in (1, 2, 3) for e in (reg(n), route(n, methodist="a"))]
        + [reg(4), route(4, methodist="b")]
    )
    t = table(events)  # target E1 = 2
    region = t[("E1", "region", R)]
    assert (region.numerator, region.denominator, region.value, region.extra["max_load"]) == (4, 2, 2.0, 3.0)
    assert region.target_met is False  # 3 educators on "a" > 2, although the average is 2
    assert t[("E1", "municipality", "m1")].value == 2.0 and t[("E1", "municipality", "m1")].target_met is True


def test_e1_one_educator_counts_once_but_loads_each_of_their_methodists():
    events = [
        methodist("a"),
        methodist("b"),
        reg(1),
        route(1, methodist="a"),
        route(1, methodist="a", rid="r-x"),
        route(1, methodist="b", rid="r-y"),
    ]
    e1 = table(events)[("E1", "region", R)]
    assert (e1.numerator, e1.denominator, e1.extra["max_load"]) == (1, 2, 1.0)


def test_e1_route_completed_on_d_no_longer_counts_and_one_closed_after_d_does():
    events = [
        methodist("a"),
        reg(1),
        route(1, methodist="a"),
        closed(1, D, cancelled=False),
        reg(2),
        route(2, methodist="a"),
        closed(2, date(2025, 1, 1), cancelled=False),
    ]
    assert nd(table(events), ("E1", "region", R)) == (1, 1)


def test_e1_educators_count_by_placement_and_methodists_by_their_municipality():
    events = [methodist("a", muni="m1"), reg(1), route(1, methodist="a"), moved(1, "s2", "m2", date(2024, 9, 1))]
    t = table(events)
    assert nd(t, ("E1", "municipality", "m2")) == (1, 0) and t[("E1", "municipality", "m2")].value is None
    assert nd(t, ("E1", "municipality", "m1")) == (0, 1)


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


def test_e2_default_target_is_all_staff():
    t = table([cnppm("a"), cnppm("b"), trained("a")], targets=Targets())
    assert t[("E2", "region", R)].target == 1.0 and t[("E2", "region", R)].target_met is False


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
    assert order == sorted(order, key=["I1", "I2", "I3", "I4", "I5", "I6", "E1", "E2", "RM"].index)
    assert keys[:3] == [("I1", "region", R), ("I1", "municipality", "m1"), ("I1", "organization", "s1")]
