"""I3 (teachers who completed a ФР ДПП program their diagnosis-based route selected) and I6
(a provider's implemented programs that are in the register), including programs leaving
the register: a completion before `register_to` still counts, one after does not."""

from __future__ import annotations

from datetime import date

from tests.support.indicators import R, done, nd, org, program, reg, route, table


def test_i3_counts_register_programs_selected_by_a_route_teachers_only():
    catalogue = [program("p1"), program("p2", register_from=None), program("p3", register_to=date(2024, 5, 31))]
    cases = {  # educator -> (events, counts?)
        1: ([reg(1), route(1, ("p1",)), done(1, "p1")], True),
        2: ([reg(2), route(2, ("p2",)), done(2, "p2")], False),  # not in the register
        3: ([reg(3), route(3, ("p3",)), done(3, "p3", date(2024, 6, 1))], False),  # after it left the register
        4: ([reg(4), route(4, ("p3",)), done(4, "p3", date(2024, 5, 31))], True),  # on its last register day
        5: ([reg(5), done(5, "p1")], False),  # no route selected it
        6: ([reg(6), route(6, ("p1",), day=date(2024, 7, 1)), done(6, "p1", date(2024, 6, 1))], False),  # route later
        7: ([reg(7), route(7, ("p1",), day=date(2024, 6, 1)), done(7, "p1", date(2024, 6, 1))], True),  # same day
        8: ([reg(8), route(8, ("p9",)), done(8, "p9")], False),  # program never registered
        9: ([reg(9), route(9, ("p1",)), done(9, "p1", date(2025, 1, 15))], False),  # completed after D
        10: ([reg(10), route(10, ("p2",)), route(10, ("p1",), rid="r-10b"), done(10, "p1")], True),  # second route
    }
    manager = [reg(20, role="manager"), route(20, ("p1",)), done(20, "p1")]  # not in I3 at all
    events = catalogue + manager + [e for evs, _ in cases.values() for e in evs]
    expected = (sum(1 for _, hit in cases.values() if hit), len(cases))
    assert nd(table(events), ("I3", "region", R)) == expected == (4, 10)


def test_i3_informal_route_items_do_not_select_programs():
    events = [program("p1"), reg(1), route(1, (), informal=True), done(1, "p1")]
    assert nd(table(events), ("I3", "region", R)) == (0, 1)


def test_i3_completion_before_the_register_window_opens_does_not_count():
    events = [
        program("p1", register_from=date(2024, 6, 1)),
        reg(1),
        route(1, ("p1",), day=date(2024, 1, 1)),
        done(1, "p1", date(2024, 5, 31)),
        reg(2),
        route(2, ("p1",), day=date(2024, 1, 1)),
        done(2, "p1", date(2024, 6, 1)),
    ]
    assert nd(table(events), ("I3", "region", R)) == (1, 2)  # only educator 2, completed on the first day


def test_program_leaving_the_register_changes_i6_but_not_a_completion_before_it_left():
    leaves = program("p1", register_to=date(2024, 6, 30), rev=2)  # revision 2 closes the register window
    events = [
        program("p1"),
        program("p2"),
        program("p3", register_from=None),
        program("p4", implemented=False),
        reg(1),
        route(1, ("p1",)),
        done(1, "p1", date(2024, 6, 1)),
        reg(2),
        route(2, ("p1",)),
        done(2, "p1", date(2024, 7, 1)),
        leaves,
    ]
    t = table(events)
    implemented = {"p1", "p2", "p3"}  # p4 is not implemented
    in_register_on_d = {"p2"}  # p1 left on 2024-06-30, p3 never was in it
    assert nd(t, ("I6", "region", R)) == (len(in_register_on_d), len(implemented))
    assert nd(t, ("I3", "region", R)) == (1, 2)  # educator 1 completed before it left, educator 2 after
    assert nd(table(events, as_of=date(2024, 6, 15)), ("I6", "region", R)) == (2, 3)
    # the same facts in the opposite order: the winning revision is still 2
    assert table(list(reversed(events))) == t


def test_i6_is_counted_per_provider_organization_and_municipality():
    events = [
        org("iro", muni="m9"),
        org("college", kind="college", muni="m2"),
        program("a"),
        program("b", register_from=None),
        program("c", provider="college"),
        program("d", provider="unknown"),
        program("e", provider="college", implemented=False),
    ]
    t = table(events)
    assert nd(t, ("I6", "organization", "iro")) == (1, 2) and nd(t, ("I6", "municipality", "m9")) == (1, 2)
    assert nd(t, ("I6", "organization", "college")) == (1, 1) and nd(t, ("I6", "municipality", "m2")) == (1, 1)
    assert nd(t, ("I6", "region", R)) == (3, 4)  # a, c, d in the register; b not; e not implemented
    assert ("I6", "organization", "unknown") not in t  # an unknown provider counts at region level only
    assert t[("I6", "region", R)].target is None and t[("I6", "region", R)].target_met is None


def test_i6_provider_registered_later_moves_its_programs_into_its_scopes():
    events = [program("a", provider="ipk"), org("ipk", muni="m4")]
    assert nd(table(events[:1]), ("I6", "region", R)) == (1, 1) and ("I6", "organization", "ipk") not in table(
        events[:1]
    )
    assert nd(table(events), ("I6", "organization", "ipk")) == (1, 1)
    assert nd(table(events), ("I6", "municipality", "m4")) == (1, 1)
