"""The fold is order-independent and idempotent: duplicated and shuffled events give the same
state (and table); `apply` reports whether a record changed; ties are settled by content."""

from __future__ import annotations

import random
from datetime import date

from contracts import Activity, ActivityCompleted, Enrolment, ProgramEnrolled
from services.indicators.domain.fold import apply, entity_of, fold
from services.indicators.domain.records import DiagnosisFact, EducatorRecord, EntityRef, FactRecord, RegionState
from tests.support.indicators import (
    R,
    closed,
    cnppm,
    done,
    dx,
    ed,
    ev,
    item,
    left,
    methodist,
    moved,
    org,
    program,
    reg,
    route,
    state_of,
    support,
    table,
    team,
    team_done,
    trained,
)


def region_history():
    """Every kind of event the indicators fold, with revisions and repeated facts."""
    return [
        org("iro"),
        org("s1", kind="school", muni="m1", low=True),
        org("s1", kind="school", muni="m1", rev=2),
        program("p1"),
        program("p1", register_to=date(2024, 8, 31), rev=2),
        program("q", topic="education_quality_management"),
        methodist("m-1"),
        methodist("m-2", active=False),
        methodist("m-2", rev=2),
        team("t1", "s1"),
        team_done("t1", "q"),
        cnppm("c1"),
        trained("c1"),
        item("1", "planned"),
        item("1", "done", rev=2),
        reg(1),
        reg(1, org="s7", muni="m7", rev=2),
        dx(1),
        dx(1, date(2024, 10, 1), "dx-1b"),
        route(1),
        done(1),
        closed(1, date(2024, 11, 1), cancelled=False),
        support(1),
        reg(2, birth=1996, career=date(2023, 9, 1)),
        dx(2),
        moved(2, "s3", "m3", date(2024, 2, 1)),
        route(2, methodist="m-2"),
        support(2, until=date(2026, 9, 1)),
        left(2, date(2025, 6, 1)),
        left(2, date(2025, 3, 1)),
        reg(3, role="manager"),
        dx(3),
        route(3, rid="r-3a"),
        closed(3, date(2024, 4, 1), rid="r-3a"),
        closed(3, date(2024, 3, 1), rid="r-3a"),
    ]


def test_duplicates_and_any_order_give_the_same_state_and_table():
    events = region_history()
    expected_state, expected_table = state_of(events), table(events)
    rng = random.Random(7)
    for _ in range(30):
        shuffled = events + rng.sample(events, k=10)
        rng.shuffle(shuffled)
        assert state_of(shuffled) == expected_state
        assert table(shuffled) == expected_table
    educator = expected_state.educators[ed(1)]
    assert educator.fact is not None and educator.fact.organization_id == "s7"  # revision 2, whatever the order
    assert expected_state.educators[ed(2)].left_on == date(2025, 3, 1)  # the earliest departure
    assert expected_state.educators[ed(3)].closed == {"r-3a": date(2024, 3, 1)}  # the earliest closure
    assert expected_state.program("p1").register_to == date(2024, 8, 31)


def test_apply_reports_changes_and_ignores_replays():
    record = EducatorRecord()
    assert apply(record, reg(1)) is True
    assert apply(record, reg(1)) is False
    assert apply(record, dx(1)) is True and apply(record, dx(1)) is False
    assert apply(record, reg(1, rev=2, org="s2")) is True
    assert apply(record, reg(1, rev=1, org="s9")) is False  # an older revision arriving late
    assert record.fact.organization_id == "s2"
    assert apply(record, left(1, date(2024, 5, 1))) is True
    assert apply(record, left(1, date(2024, 6, 1))) is False  # a later departure changes nothing


def test_equal_revisions_with_different_content_settle_the_same_way_in_any_order():
    a, b = item("1", "done"), item("1", "planned")
    first, second = FactRecord(), FactRecord()
    for e in (a, b):
        apply(first, e)
    for e in (b, a):
        apply(second, e)
    assert first == second


def test_a_route_reported_twice_with_different_content_keeps_one_deterministic_version():
    early, late = route(1, ("p1",), day=date(2024, 3, 2)), route(1, ("p2",), day=date(2024, 4, 1))
    assert state_of([early, late]) == state_of([late, early])
    assert state_of([early, late]).educators[ed(1)].routes["r-1"].program_ids == ("p2",)


def test_events_no_indicator_uses_touch_nothing():
    enrolled = ev(ProgramEnrolled, Enrolment(educator_id=ed(1), program_id="p1", enrolled_on=date(2024, 3, 1)))
    activity = ev(
        ActivityCompleted, Activity(educator_id=ed(1), activity_kind="master_class", completed_on=date(2024, 3, 1))
    )
    state = RegionState(R)
    assert fold(state, enrolled) is None and fold(state, activity) is None
    assert state == RegionState(R)


def test_each_event_names_its_entity():
    assert entity_of(reg(1)) == EntityRef("educator", ed(1))
    assert entity_of(route(1)) == EntityRef("educator", ed(1))
    assert entity_of(team_done("t1", "q")) == EntityRef("team", "t1")
    assert entity_of(trained("c1")) == EntityRef("cnppm_staff", "c1")
    assert entity_of(methodist("m-1")) == EntityRef("support_staff", "m-1")
    assert entity_of(item("7", "done")) == EntityRef("roadmap_item", "7")


def test_facts_arriving_before_the_registration_wait_for_it():
    state = state_of([dx(1), route(1), done(1)])
    assert ("I1", "region", R) not in table([dx(1), route(1), done(1)])
    assert state.educators[ed(1)].fact is None and state.educators[ed(1)].diagnoses == {
        "dx-1": DiagnosisFact(date(2024, 3, 1), "cnppm")
    }
    assert table([dx(1), route(1), done(1), reg(1), program("p1")])[("I3", "region", R)].numerator == 1


def test_joining_partial_records_in_any_grouping_equals_folding_everything():
    """The state journal's premise: fold random slices separately, join them in any order."""
    from services.indicators.domain.fold import join
    from services.indicators.domain.records import ENTITY_KINDS

    events = region_history()
    expected = state_of(events)
    rng = random.Random(11)
    for _ in range(30):
        shuffled = events + rng.sample(events, k=8)
        rng.shuffle(shuffled)
        cuts = sorted(rng.sample(range(1, len(shuffled)), k=4))
        slices = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(shuffled)], strict=True)]
        partials = [state_of(s) for s in slices]
        rng.shuffle(partials)
        joined = RegionState(R)
        for partial in partials:
            for kind in ENTITY_KINDS:
                for entity_id, record in partial.records(kind).items():
                    join(joined.record(EntityRef(kind, entity_id)), record)
        assert joined == expected
    first = state_of(events)
    assert not any(join(first.educators[k], r) for k, r in expected.educators.items()), (
        "a join of equals changes nothing"
    )
    assert join(RegionState(R).record(EntityRef("educator", ed(1))), expected.educators[ed(1)])
