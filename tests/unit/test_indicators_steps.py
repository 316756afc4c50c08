"""The indicators computed in steps (the live tables pause the event loop between them): the same
values as in one go, and a state folded on during a pause is tallied without failing."""

from __future__ import annotations

from services.indicators.domain.fold import apply, entity_of, join
from services.indicators.domain.indicators import compute_indicators, indicator_steps
from services.indicators.domain.records import new_record
from tests.support.indicators import TARGETS, D, R, reg, state_of
from tests.unit.test_indicators_fold import region_history


def run(steps) -> tuple[list, int]:  # type: ignore[no-untyped-def]
    pauses = 0
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value, pauses
        pauses += 1


def test_the_indicators_in_steps_are_the_indicators_in_one_go():
    state = state_of(region_history())
    values, pauses = run(indicator_steps(state, R, D, TARGETS, step=2))
    assert values == compute_indicators(state, R, D, TARGETS)
    # after every two educators, once rolled up, once the network is counted, every two values made
    assert pauses == (len(state.educators) + 1) // 2 + 2 + len(values) // 2
    assert len(values) > 2


def test_an_educator_registered_during_a_pause_is_no_failure_and_counts_at_the_next_computation():
    state = state_of(region_history())
    steps = indicator_steps(state, R, D, TARGETS, step=1)
    next(steps)
    newcomer = reg(999)
    ref = entity_of(newcomer)
    assert ref is not None
    partial = new_record(ref.kind)
    apply(partial, newcomer)
    join(state.record(ref), partial)  # what a batch folded meanwhile
    during, _ = run(steps)
    after = compute_indicators(state, R, D, TARGETS)
    assert during != after
    assert after == compute_indicators(state_of([*region_history(), newcomer]), R, D, TARGETS)
