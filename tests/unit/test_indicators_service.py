"""The indicators use cases over in-memory repositories: a batch reads nothing and appends its
partial records once, the journal is compacted at start-up, positions advance, the cache matches the pure fold and survives a restart,
redelivery and reordering across batches change nothing, live tables are debounced and
stored idempotently, snapshots are immutable and versioned."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime

import pytest

from contracts import IndicatorsPublished, IndicatorTable, PassportSnapshotTaken
from services.indicators.adapters.state_store import COMPACT_AFTER
from services.indicators.adapters.table_store import table_from_document
from services.indicators.domain.indicators import compute_indicators
from services.indicators.domain.records import DiagnosisFact
from services.indicators.live import LiveTables
from services.indicators.service import SOURCE, IndicatorsService
from tests.support.indicators import (
    TARGETS,
    D,
    FakeSnapshotStore,
    FakeStateStore,
    FakeTableStore,
    R,
    cnppm,
    done,
    dx,
    ed,
    incoming,
    methodist,
    org,
    program,
    reg,
    route,
    state_of,
    support,
    trained,
)

NOW = datetime(2024, 12, 31, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def make(states=None, tables=None, snapshots=None, clock=None):
    return IndicatorsService(
        states or FakeStateStore(),
        tables or FakeTableStore(),
        snapshots or FakeSnapshotStore(),
        TARGETS,
        live=LiveTables(0.5, clock=clock or Clock()),
        now=lambda: NOW,
    )


def history():
    return [
        program("p1"),
        org("iro"),
        methodist("m-1"),
        cnppm("c1"),
        trained("c1"),
        reg(1),
        dx(1),
        route(1),
        done(1),
        reg(2, birth=1996, career=date(2023, 9, 1)),
        support(2),
        dx(2),
    ]


async def test_a_batch_reads_nothing_and_appends_once_one_entry_per_touched_entity():
    store = FakeStateStore()
    service = make(store)
    await service.handle(incoming(*history()))
    assert store.loads == 0 and store.appends == 1
    assert store.written == 2 + 4  # educators 1 and 2; p1, iro, m-1 and c1 (registered and trained)
    assert store.positions == {("rsnms.registry.facts", 0): len(history())}
    assert service.positions == store.positions and service.folded == len(history())


async def test_the_cache_equals_the_pure_fold_and_survives_a_restart():
    store = FakeStateStore()
    service = make(store)
    events = history()
    await service.handle(incoming(*events[:5], partition=1))
    await service.handle(incoming(*events[5:], partition=2))
    assert service.states[R] == state_of(events)
    restarted = make(store)
    await restarted.start()
    assert restarted.states == service.states and restarted.positions == {
        ("rsnms.registry.facts", 1): 5,
        ("rsnms.registry.facts", 2): len(events) - 5,
    }
    assert restarted.table(R, D).values == service.table(R, D).values
    assert restarted.live.dirty == {R}  # tables are recomputed after a restart


async def test_a_redelivered_batch_changes_nothing_in_the_cache_or_in_what_a_restart_loads():
    store = FakeStateStore()
    service = make(store)
    batch = incoming(*history())
    await service.handle(batch)
    before, state = service.table(R, D).values, copy.deepcopy(service.states)
    await service.handle(batch)
    await make(store).handle(batch)  # another instance after a crash, or the same batch again
    assert service.table(R, D).values == before and service.states == state
    restarted = make(store)
    await restarted.start()
    assert restarted.states == state and restarted.table(R, D).values == before


async def test_the_journal_is_compacted_at_start_up_when_long_and_loads_the_same_state():
    store = FakeStateStore()
    service = make(store)
    for n, event in enumerate(history() * 6):
        await service.handle(incoming(event, first=n))
    assert await store.journal_size() == len(history()) * 6 > COMPACT_AFTER
    restarted = make(store)
    await restarted.start()
    assert await store.journal_size() == 1
    assert restarted.states == service.states and restarted.positions == service.positions


async def test_batches_in_reverse_order_give_the_table_of_one_batch():
    events = history()
    one = make()
    await one.handle(incoming(*events))
    reverse = make()
    for n, e in enumerate(reversed(events)):
        await reverse.handle(incoming(e, first=n))
    assert reverse.table(R, D).values == one.table(R, D).values
    i3 = next(v for v in one.table(R, D).values if (v.indicator, v.scope_kind) == ("I3", "region"))
    assert (i3.numerator, i3.denominator) == (1, 2)


async def test_positions_only_move_forward():
    service = make()
    await service.handle(incoming(reg(1), first=10))
    await service.handle(incoming(reg(2), first=3))  # an older offset delivered late
    assert service.positions == {("rsnms.registry.facts", 0): 11}


async def test_a_failed_save_leaves_the_cache_untouched():
    store = FakeStateStore()
    service = make(store)
    store.fail_save = True
    with pytest.raises(ConnectionError):
        await service.handle(incoming(reg(1)))
    assert R not in service.states and service.positions == {}


async def test_live_tables_are_debounced_stored_and_announced_with_counts_only():
    clock, tables = Clock(), FakeTableStore()
    service = make(tables=tables, clock=clock)
    await service.handle(incoming(*history()))
    published = await service.refresh_due()
    assert [e.region for e in published] == [R] and isinstance(published[0], IndicatorsPublished)
    assert published[0].source == SOURCE and "ed-" not in published[0].to_bytes().decode()
    doc = tables.docs[f"{R}:{NOW.date().isoformat()}"]
    expected = compute_indicators(state_of(history()), R, NOW.date(), TARGETS)
    assert list(table_from_document(doc).values) == expected
    assert {t["indicator"] for t in doc["titles"]} >= {"I1", "E1", "RM"}

    await service.handle(incoming(reg(3), first=100))
    assert await service.refresh_due() == []  # 0.5 s have not passed
    clock.t += 0.5
    again = await service.refresh_due()
    assert (
        len(again) == 1
        and again[0].event_id == IndicatorsPublished.create(again[0].payload, source=SOURCE, region=R).event_id
    )
    assert await service.refresh_due() == []  # nothing changed since


async def test_a_failed_table_write_is_retried_later():
    clock, tables = Clock(), FakeTableStore()
    service = make(tables=tables, clock=clock)
    await service.handle(incoming(reg(1)))
    tables.fail = True
    with pytest.raises(ConnectionError):
        await service.refresh_due()
    tables.fail = False
    clock.t += 1
    assert len(await service.refresh_due()) == 1


async def test_tables_of_a_round_that_failed_are_made_and_announced_again():
    class FailsFor(FakeTableStore):
        failing = {"RU-ZZZ"}

        async def save(self, t: IndicatorTable) -> None:
            if t.region in self.failing:
                raise ConnectionError("store down")
            await super().save(t)

    clock, tables = Clock(), FailsFor()
    service = make(tables=tables, clock=clock)
    await service.handle(incoming(reg(1), reg(2, region="RU-ZZZ")))
    assert service.live.behind() == 2
    with pytest.raises(ConnectionError):
        await service.refresh_due()  # R's table was made and saved, then RU-ZZZ's failed
    assert service.live.dirty == {R, "RU-ZZZ"} and service.live.behind() == 2
    tables.failing = set()
    clock.t += 1
    again = await service.refresh_due()
    assert sorted(e.region for e in again) == sorted([R, "RU-ZZZ"])
    service.live.announced(e.region for e in again)
    assert service.live.behind() == 0


async def test_snapshots_are_versioned_immutable_and_announced():
    snapshots = FakeSnapshotStore()
    service = make(snapshots=snapshots)
    await service.handle(incoming(*history(), topic="rsnms.routes.events", partition=2))
    first, event = await service.snapshot(R, D)
    assert (first.snapshot_id, first.version, first.as_of) == (f"{R}:1", 1, D)
    assert isinstance(event, PassportSnapshotTaken) and event.payload == first
    assert event.event_id == PassportSnapshotTaken.create(first, source=SOURCE, region=R).event_id
    assert [(p.topic, p.partition, p.offset) for p in first.document.kafka_positions] == [
        ("rsnms.routes.events", 2, len(history()))
    ]
    assert first.document.indicators == tuple(compute_indicators(state_of(history()), R, D, TARGETS))
    await service.handle(incoming(reg(9), topic="rsnms.routes.events", partition=2, first=50))
    second, _ = await service.snapshot(R, D)
    assert second.version == 2 and snapshots.docs[f"{R}:1"] == first.model_dump(mode="json")  # v1 unchanged
    assert second.document.staff.figures["teachers"] == first.document.staff.figures["teachers"] + 1


async def test_a_snapshot_version_taken_by_another_writer_is_skipped():
    snapshots = FakeSnapshotStore()
    taken, _ = await make(snapshots=snapshots).snapshot(R, D)

    class Stale(FakeSnapshotStore):
        """Its first read misses the other writer's snapshot."""

        stale = True

        async def latest(self, region):
            if self.stale:
                self.stale = False
                return None
            return await super().latest(region)

    stale = Stale()
    stale.docs = snapshots.docs
    mine, _ = await make(snapshots=stale).snapshot(R, D)
    assert mine.version == 2 and mine.snapshot_id == f"{R}:2"
    assert snapshots.docs[taken.snapshot_id] == taken.model_dump(mode="json")  # never overwritten


async def test_periodic_snapshots_only_for_regions_that_changed():
    service = make()
    await service.handle(incoming(reg(1), reg(2, region="RU-OTH")))
    assert sorted(s.region for s, _ in await service.periodic_snapshots()) == ["RU-OTH", R]
    assert await service.periodic_snapshots() == []
    await service.handle(incoming(dx(1), first=10))
    assert [s.region for s, _ in await service.periodic_snapshots()] == [R]


async def test_regions_are_kept_apart():
    service = make()
    await service.handle(incoming(reg(1), reg(1, region="RU-OTH"), dx(1, region="RU-OTH")))
    assert service.regions() == ["RU-OTH", R]
    i1 = {
        v.scope_id: (v.numerator, v.denominator)
        for v in service.table("RU-OTH", D).values
        if (v.indicator, v.scope_kind) == ("I1", "region")
    }
    assert i1 == {"RU-OTH": (1, 1)}
    assert service.table("RU-NONE", D).values == ()


async def test_a_snapshot_includes_what_other_instances_folded_and_corrects_the_cache():
    store = FakeStateStore()
    other, mine = make(store), make(store)  # two instances sharing the partitions of one region
    await other.handle(incoming(reg(1), dx(1), topic="rsnms.registry.facts", partition=1))
    await mine.handle(incoming(reg(2), topic="rsnms.registry.facts", partition=0))
    assert mine.table(R, D).values[0].denominator == 1  # its cache only has educator 2
    snap, _ = await mine.snapshot(R, D)
    i1 = next(v for v in snap.document.indicators if (v.indicator, v.scope_kind) == ("I1", "region"))
    assert (i1.numerator, i1.denominator) == (1, 2)
    assert {(p.partition, p.offset) for p in snap.document.kafka_positions} == {(0, 1), (1, 2)}
    assert mine.states[R] == state_of([reg(1), dx(1), reg(2)])


async def test_a_batch_waits_for_a_snapshot_reload_so_the_cache_never_goes_stale():
    import asyncio

    class SlowReload(FakeStateStore):
        def __init__(self) -> None:
            super().__init__()
            self.gate = asyncio.Event()

        async def load_region(self, region):
            found = await super().load_region(region)  # read before the batch below writes
            await self.gate.wait()
            return found

    store = SlowReload()
    service = make(store)
    await service.handle(incoming(reg(1)))
    snapshot = asyncio.create_task(service.snapshot(R, D))
    await asyncio.sleep(0)
    batch = asyncio.create_task(service.handle(incoming(dx(1), first=5)))
    await asyncio.sleep(0.01)
    assert not batch.done()  # the fold waits for the reload
    store.gate.set()
    await asyncio.gather(snapshot, batch)
    assert service.states[R].educators[ed(1)].diagnoses == {"dx-1": DiagnosisFact(date(2024, 3, 1), "cnppm")}
