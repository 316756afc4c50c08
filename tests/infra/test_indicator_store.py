"""The indicators' stores on the real FerretDB: what a restarted service loads is what it had
folded (and the table it computes is the same), a replayed batch changes nothing, positions
never move back, tables are $set idempotently and snapshots are insert-only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pymongo import AsyncMongoClient

from services.indicators.adapters.store import IndicatorStore
from services.indicators.domain.indicators import compute_indicators
from services.indicators.service import IndicatorsService
from tests.support.indicators import TARGETS, D, R, incoming, state_of
from tests.unit.test_indicators_fold import region_history

pytestmark = pytest.mark.infra
NOW = datetime(2024, 12, 31, 12, 0, tzinfo=UTC)


def service_on(store: IndicatorStore) -> IndicatorsService:
    return IndicatorsService(store.state, store.tables, store.snapshots, TARGETS, now=lambda: NOW)


async def test_folded_state_round_trips_through_ferretdb(infra, prefix):
    events = region_history()
    client = AsyncMongoClient(infra.mongodb)
    try:
        store = IndicatorStore(client[f"{prefix}_indicators"])
        await store.ensure_indexes()
        service = service_on(store)
        await service.handle(incoming(*events, topic="rsnms.routes.events", partition=1, first=0))
        await service.handle(incoming(*events, topic="rsnms.routes.events", partition=1, first=0))  # replayed
        await service.handle(incoming(events[0], topic="rsnms.routes.events", partition=1, first=3))  # late, older
        loaded, positions = await store.load()
        restarted = service_on(store)
        await restarted.start()

        await service.refresh_due()
        table = service.table(R)
        await store.tables.save(table)
        await store.tables.save(table)
        stored_table = await store.tables.get(R, NOW.date().isoformat())

        first, _ = await service.snapshot(R, D)
        second, _ = await restarted.snapshot(R, D)
        again = await store.snapshots.add(first)
        latest = await store.snapshots.latest(R)
    finally:
        await client.close()
    assert positions == {("rsnms.routes.events", 1): len(events)}
    assert loaded[R] == state_of(events) == restarted.states[R]
    assert compute_indicators(loaded[R], R, D, TARGETS) == compute_indicators(state_of(events), R, D, TARGETS)
    assert stored_table == table
    assert (first.version, second.version, again) == (1, 2, False) and latest == second


async def test_two_writers_and_a_compaction_keep_the_state_of_folding_everything_once(infra, prefix):
    """Two instances append partial records of interleaved slices (one replays the other's
    batch, as after a rebalance); compaction rewrites the journal; every load equals the pure
    fold of all events, the positions are the maxima."""
    events = region_history()
    half = len(events) // 2
    client = AsyncMongoClient(infra.mongodb)
    try:
        store = IndicatorStore(client[f"{prefix}_indicators"])
        await store.ensure_indexes()
        a, b = service_on(store), service_on(store)
        await a.handle(incoming(*events[:half], partition=0))
        await b.handle(incoming(*events[half:], partition=1))
        await b.handle(incoming(*events[:half], partition=0))  # a stale writer's batch, again
        before, _ = await store.load()
        entries_before = await store.state.journal_size()
        replaced = await store.state.compact()
        after, positions = await store.load()
        region_only, _ = await store.state.load_region(R)
        entries_after = await store.state.journal_size()
    finally:
        await client.close()
    assert before[R] == after[R] == region_only == state_of(events)
    assert (entries_before, replaced, entries_after) == (3, 3, 1)
    assert positions == {("rsnms.registry.facts", 0): half, ("rsnms.registry.facts", 1): len(events) - half}
