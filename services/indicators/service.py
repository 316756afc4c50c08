"""Use cases of the indicators service.

`handle(batch)` (the runtime's BatchConsumer calls it): group the events by entity, fold each
entity's events into a partial record in memory, append the partial records to the state
journal once (then the Kafka positions they include), then join them into the in-memory cache
of every region and mark the regions changed. Only then does the runtime commit the offsets,
so a crash replays the batch, which the idempotent fold and join absorb.

`refresh_due()` recomputes the live tables of the changed regions (debounced, see `live`),
stores them and returns the `IndicatorsPublished` to publish (counts only).
`snapshot(region)` first re-reads the region's whole state and the positions from the store
(so a snapshot is complete even when several instances share the partitions, and the cache
is corrected), then freezes an immutable, versioned passport and returns it with its
`PassportSnapshotTaken`; `periodic_snapshots()` does so for the regions changed since.
A lock keeps that re-read and a batch's fold-append-join from interleaving.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime

from contracts import (
    Event,
    IndicatorsPublished,
    IndicatorTable,
    IndicatorValue,
    KafkaPosition,
    PassportSnapshot,
    PassportSnapshotTaken,
)
from rsnms_runtime.heap import HeapKeeper
from rsnms_runtime.kafka import Incoming, Outcome
from rsnms_runtime.logging import get_logger
from services.indicators.domain.fold import apply, entity_of, join
from services.indicators.domain.indicators import compute_indicators, indicator_steps
from services.indicators.domain.passport import build_passport
from services.indicators.domain.records import Record, RegionState, new_record
from services.indicators.domain.resources import InformationResources
from services.indicators.domain.targets import Targets
from services.indicators.live import LiveTables
from services.indicators.repository import (
    EntityKey,
    Positions,
    SnapshotRepository,
    StateRepository,
    TableRepository,
)

log = get_logger(__name__)
SOURCE = "rsnms-indicators"
SNAPSHOT_ATTEMPTS = 20


def utc_now() -> datetime:
    return datetime.now(UTC)


class IndicatorsService:
    def __init__(
        self,
        states: StateRepository,
        tables: TableRepository,
        snapshots: SnapshotRepository,
        targets: Targets | None = None,
        resources: InformationResources | None = None,
        live: LiveTables | None = None,
        now: Callable[[], datetime] = utc_now,
        heap: HeapKeeper | None = None,
    ):
        self._states = states
        self._heap = heap or HeapKeeper(enabled=False)
        self._tables = tables
        self._snapshots = snapshots
        self._targets = targets or Targets()
        self._resources = resources or InformationResources()
        self._now = now
        self.live = live or LiveTables()
        #: the in-memory cache: every region's folded state
        self.states: dict[str, RegionState] = {}
        #: (topic, partition) -> the next offset: every message before it is folded
        self.positions: Positions = {}
        #: batches that changed each region (to know what a periodic snapshot would repeat)
        self.changes: Counter[str] = Counter()
        self._snapshotted: dict[str, tuple[date, int]] = {}
        self._lock = asyncio.Lock()
        self.folded = 0
        self.load_seconds = 0.0
        #: monotonic clock of the first batch's start and the last batch's end (for benchmarks)
        self.first_batch_at: float | None = None
        self.last_batch_at: float | None = None

    def today(self) -> date:
        return self._now().date()

    async def start(self) -> None:
        """Rebuild the in-memory cache from the store (after a restart or a rebuild), letting the
        store settle first (e.g. compact a long journal)."""
        started = time.perf_counter()
        await self._states.settle()
        self.states, self.positions = await self._states.load_all()
        self.load_seconds = time.perf_counter() - started
        self._heap.settled()
        self.live.mark(self.states)
        log.info(
            "indicators_state_loaded",
            regions=len(self.states),
            seconds=round(self.load_seconds, 3),
            educators=sum(len(s.educators) for s in self.states.values()),
        )

    def _state(self, region: str) -> RegionState:
        state = self.states.get(region)
        if state is None:
            state = self.states[region] = RegionState(region)
        return state

    async def handle(self, batch: list[Incoming]) -> Outcome:
        """Fold a batch (the BatchConsumer's handler): nothing is refused, nothing is emitted here."""
        self.first_batch_at = self.first_batch_at or time.perf_counter()
        groups: dict[EntityKey, list[Event]] = defaultdict(list)
        moved: Positions = {}
        for inc in batch:
            ref = entity_of(inc.event)
            if ref is not None:
                groups[EntityKey(inc.event.region, ref.kind, ref.entity_id)].append(inc.event)
            tp = (inc.topic, inc.partition)
            moved[tp] = max(moved.get(tp, 0), inc.offset + 1)
        async with self._lock:
            changed = await self._fold(groups, moved)
        regions = {k.region for k in changed}
        self.changes.update(regions)
        self.live.mark(regions)
        self.folded += len(batch)
        self.last_batch_at = time.perf_counter()
        log.debug(
            "indicators_batch", events=len(batch), entities=len(groups), written=len(changed), regions=len(regions)
        )
        return Outcome()

    async def _fold(self, groups: dict[EntityKey, list[Event]], moved: Positions) -> dict[EntityKey, Record]:
        """Fold each entity's events into a partial record, journal the partial records, then
        join them into the cache; the entities whose cached record changed.

        No read of the store: the journal's join makes a partial record enough. Another
        instance's entries meet ours on `reload` (snapshots) and at start-up."""
        learned: dict[EntityKey, Record] = {}
        for key, events in groups.items():
            partial = new_record(key.kind)
            applied = [apply(partial, event) for event in events]  # every event, no short-circuit
            if any(applied):
                learned[key] = partial
        moved = {tp: max(offset, self.positions.get(tp, 0)) for tp, offset in moved.items()}
        await self._states.append(learned, moved)
        changed = {
            key: partial for key, partial in learned.items() if join(self._state(key.region).record(key.ref), partial)
        }
        self.positions.update(moved)
        return changed

    def values(self, region: str, as_of: date) -> list[IndicatorValue]:
        """The indicators of a region as of a date, from the cache."""
        return compute_indicators(self.states.get(region) or RegionState(region), region, as_of, self._targets)

    def table(self, region: str, as_of: date | None = None) -> IndicatorTable:
        """The region's indicator table as of a date (today by default), from the cache."""
        day = as_of or self.today()
        return IndicatorTable(region=region, as_of=day, computed_at=self._now(), values=tuple(self.values(region, day)))

    async def _live_table(self, region: str) -> tuple[IndicatorTable, float, float]:
        """The region's table as of today, computed in steps with a pause of the event loop between
        them (a region's table takes a few hundred ms: the consumer's batches would wait that long
        behind it, docs/benchmarks/pipeline.md), the seconds spent computing and the longest step."""
        day = self.today()
        steps = indicator_steps(self.states.get(region) or RegionState(region), region, day, self._targets)
        computing = longest = 0.0
        while True:
            started = time.perf_counter()
            try:
                next(steps)
            except StopIteration as done:
                values: list[IndicatorValue] = done.value
                break
            finally:
                took = time.perf_counter() - started
                computing, longest = computing + took, max(longest, took)
            await asyncio.sleep(0)
        table = IndicatorTable(region=region, as_of=day, computed_at=self._now(), values=tuple(values))
        return table, computing, longest

    async def refresh_due(self) -> list[IndicatorsPublished]:
        """Recompute, store and announce the live table (as of today) of every region that is due."""
        out: list[IndicatorsPublished] = []
        computing = 0.0
        for region in self.live.due():
            self.live.started(region)
            try:
                table, seconds, longest = await self._live_table(region)
                computing += seconds
                saving = time.perf_counter()
                await self._tables.save(table)
            except Exception:
                # this region's table, and those made before it in this round, which are not
                # announced now: recomputed and announced later
                self.live.mark([region, *(e.region for e in out)])
                raise
            saved = time.perf_counter() - saving
            out.append(IndicatorsPublished.create(table, source=SOURCE, region=region))
            log.info(
                "live_table_computed",
                region=region,
                values=len(table.values),
                computing_ms=round(seconds * 1000, 1),
                longest_step_ms=round(longest * 1000, 1),
                saving_ms=round(saved * 1000, 1),
            )
        if out:
            self.live.round_took(computing)
        return out

    def position_list(self) -> list[KafkaPosition]:
        return [KafkaPosition(topic=t, partition=p, offset=o) for (t, p), o in sorted(self.positions.items())]

    async def reload(self, region: str) -> RegionState:
        """Replace the cached state of a region (and the positions) by what the store holds."""
        async with self._lock:
            state, positions = await self._states.load_region(region)
            self.states[region] = state
            for tp, offset in positions.items():
                self.positions[tp] = max(offset, self.positions.get(tp, 0))
        return state

    async def snapshot(self, region: str, as_of: date | None = None) -> tuple[PassportSnapshot, PassportSnapshotTaken]:
        """Freeze an immutable passport of the region as stored (version = the previous one + 1)."""
        day = as_of or self.today()
        state = await self.reload(region)
        values = compute_indicators(state, region, day, self._targets)
        document = build_passport(state, day, values, self.position_list(), self._resources.for_region(region))
        for _ in range(SNAPSHOT_ATTEMPTS):
            latest = await self._snapshots.latest(region)
            version = (latest.version if latest else 0) + 1
            snap = PassportSnapshot(
                snapshot_id=f"{region}:{version}",
                region=region,
                version=version,
                as_of=day,
                taken_at=self._now(),
                document=document,
            )
            if await self._snapshots.add(snap):
                log.info("passport_snapshot_taken", region=region, version=version, as_of=day.isoformat())
                return snap, PassportSnapshotTaken.create(snap, source=SOURCE, region=region)
        raise RuntimeError(f"no free snapshot version for {region} after {SNAPSHOT_ATTEMPTS} attempts")

    async def latest_snapshot(self, region: str) -> PassportSnapshot | None:
        """The region's latest passport snapshot, if any was taken."""
        return await self._snapshots.latest(region)

    async def periodic_snapshots(self) -> list[tuple[PassportSnapshot, PassportSnapshotTaken]]:
        """Snapshots of the regions that changed (or whose date moved on) since their last periodic one."""
        out = []
        today = self.today()
        for region in self.regions():
            mark = (today, self.changes[region])
            if self._snapshotted.get(region) == mark:
                continue
            out.append(await self.snapshot(region, today))
            self._snapshotted[region] = mark
        return out

    def regions(self) -> list[str]:
        return sorted(self.states)
