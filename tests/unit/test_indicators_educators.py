"""I1 and I2, and the educator rules they rest on: who is active as of D (registered, not
departed) and where they count (placement with transfers), checked against numbers derived
from each scenario."""

from __future__ import annotations

from datetime import date, timedelta

from tests.support.indicators import D, R, closed, dx, left, moved, nd, reg, route, table


def test_i1_counts_each_active_educator_once_and_excludes_leavers():
    events = [
        reg(1),
        reg(2),
        reg(3),
        reg(4, on=date(2025, 2, 1)),
        dx(1),
        dx(1, day=date(2024, 9, 1), dxid="dx-1b"),  # diagnosed twice: one educator
        dx(3),
        left(3, date(2024, 10, 1)),  # diagnosed, then left
        dx(4),
        dx(5),
    ]  # not yet registered on D; never registered
    diagnosed_active = {1}  # 2 has no diagnosis, 3 left, 4 registers after D, 5 is unknown
    active = {1, 2}
    t = table(events)
    assert nd(t, ("I1", "region", R)) == (len(diagnosed_active), len(active))
    assert t[("I1", "region", R)].value == 0.5
    # before educator 3 left, they count in both
    assert nd(table(events, as_of=date(2024, 9, 30)), ("I1", "region", R)) == (2, 3)


def test_departure_on_the_date_itself_removes_the_educator():
    events = [reg(1), reg(2), dx(1), dx(2), left(1, D), left(2, D + timedelta(days=1))]
    assert nd(table(events), ("I1", "region", R)) == (1, 1)  # 1 left on D; 2 leaves the day after
    assert nd(table(events, as_of=D - timedelta(days=1)), ("I1", "region", R)) == (2, 2)


def test_the_earliest_departure_counts_whatever_the_order():
    events = [reg(1), left(1, date(2024, 11, 1)), left(1, date(2024, 5, 1))]
    assert ("I1", "region", R) not in table(events, as_of=date(2024, 6, 1))
    assert ("I1", "region", R) not in table(list(reversed(events)), as_of=date(2024, 6, 1))


def test_diagnosis_after_d_does_not_count_yet():
    events = [reg(1), dx(1, day=date(2025, 1, 10))]
    assert nd(table(events), ("I1", "region", R)) == (0, 1)
    assert nd(table(events, as_of=date(2025, 1, 10)), ("I1", "region", R)) == (1, 1)


def test_moved_educator_counts_at_the_new_school_from_the_transfer_date():
    events = [reg(1), reg(2), dx(1), moved(1, "s2", "m2", date(2024, 7, 1))]
    after = table(events)
    assert nd(after, ("I1", "municipality", "m2")) == (1, 1) and nd(after, ("I1", "organization", "s2")) == (1, 1)
    assert nd(after, ("I1", "municipality", "m1")) == (0, 1)  # only educator 2 is left in m1
    assert nd(after, ("I1", "region", R)) == (1, 2)
    before = table(events, as_of=date(2024, 6, 30))
    assert nd(before, ("I1", "organization", "s1")) == (1, 2) and ("I1", "organization", "s2") not in before
    on_the_day = table(events, as_of=date(2024, 7, 1))
    assert nd(on_the_day, ("I1", "organization", "s2")) == (1, 1)


def test_placement_ties_a_transfer_beats_the_registration_and_the_greater_organization_wins():
    day = date(2024, 1, 10)
    t = table([reg(1, on=day), moved(1, "s2", "m2", day)])
    assert nd(t, ("I1", "organization", "s2")) == (0, 1) and ("I1", "organization", "s1") not in t
    t = table([reg(1), moved(1, "s5", "m5", day), moved(1, "s3", "m3", day)])
    assert ("I1", "organization", "s5") in t and ("I1", "organization", "s3") not in t


def test_a_later_registration_date_beats_an_earlier_transfer():
    # revision 2 re-registers the educator at s1 on 2024-05-01, after a transfer to s2 on 2024-03-01
    t = table(
        [
            reg(1, on=date(2024, 1, 1)),
            moved(1, "s2", "m2", date(2024, 3, 1)),
            reg(1, org="s1", on=date(2024, 5, 1), rev=2),
        ]
    )
    assert ("I1", "organization", "s1") in t and ("I1", "organization", "s2") not in t


def test_highest_registration_revision_wins_whatever_the_order():
    events = [reg(1, org="s1", rev=1), reg(1, org="s7", muni="m7", rev=2)]
    for ordering in (events, list(reversed(events))):
        t = table(ordering)
        assert nd(t, ("I1", "organization", "s7")) == (0, 1) and ("I1", "organization", "s1") not in t


def test_i2_routes_count_once_assigned_even_if_cancelled_later():
    events = [
        reg(1),
        reg(2),
        reg(3),
        reg(4),
        route(1),
        closed(1, date(2024, 5, 1)),  # cancelled: still developed
        route(2, rid="r-2a"),
        route(2, rid="r-2b"),  # two routes: one educator
        route(3, day=date(2025, 2, 1)),
    ]  # after D
    assert nd(table(events), ("I2", "region", R)) == (2, 4)
    assert nd(table(events, as_of=date(2025, 2, 1)), ("I2", "region", R)) == (3, 4)


def test_i1_and_i2_count_managers_and_teachers_alike():
    events = [reg(1, role="manager"), reg(2), dx(1), route(1)]
    t = table(events)
    assert nd(t, ("I1", "region", R)) == (1, 2) and nd(t, ("I2", "region", R)) == (1, 2)
