"""Use cases of the indicators service: fold every event into the regions' state (batch:
fold in memory, persist once, then the offsets are committed), serve live indicator
tables, publish aggregates for the federal operator, take passport snapshots."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from contracts import IndicatorsPublished, IndicatorTable, PassportSnapshot, PassportSnapshotTaken
from rsnms_runtime.kafka import Incoming, Outcome
from services.indicators.adapters.store import IndicatorStore
from services.indicators.domain.indicators import compute
from services.indicators.domain.passport import build_passport
from services.indicators.domain.state import RegionState, fold
from services.indicators.domain.targets import Targets

SOURCE = "rsnms-indicators"


def today() -> date:
    return datetime.now(UTC).date()


class IndicatorsService:
    def __init__(self, store: IndicatorStore, targets: Targets, information_resources: tuple[str, ...] = (),
                 clock: Callable[[], date] = today):
        self._store = store
        self._targets = targets
        self._resources = information_resources
        self._clock = clock
        self.states: dict[str, RegionState] = {}
        self.positions: dict[tuple[str, int], int] = {}
        #: regions changed since their aggregates were last published
        self.dirty: set[str] = set()
        self.folded = 0

    async def start(self) -> None:
        """Rebuild the in-memory state from the store (after a restart or a rebuild)."""
        started = time.perf_counter()
        self.states, self.positions = await self._store.load()
        self.load_seconds = time.perf_counter() - started

    async def handle(self, batch: list[Incoming]) -> Outcome:
        touched: set[tuple[str, str, str]] = set()
        moved: dict[tuple[str, int], int] = {}
        for inc in batch:
            region = inc.event.region
            state = self.states.get(region)
            if state is None:
                state = self.states[region] = RegionState(region)
            changed = fold(state, inc.event)
            if changed is not None:
                touched.add((region, *changed))
                self.dirty.add(region)
            position = (inc.topic, inc.partition)
            moved[position] = max(moved.get(position, 0), self.positions.get(position, 0), inc.offset + 1)
        await self._store.save(self.states, touched, moved)
        self.positions.update(moved)
        self.folded += len(batch)
        return Outcome()

    def table(self, region: str, as_of: date | None = None) -> IndicatorTable:
        state = self.states.get(region) or RegionState(region)
        day = as_of or self._clock()
        return IndicatorTable(region=region, as_of=day, computed_at=datetime.now(UTC),
                              values=tuple(compute(state, day, self._targets.for_region(region))))

    async def refresh_tables(self) -> list[IndicatorsPublished]:
        """Recompute and store the live table of every changed region; the events to publish."""
        out = []
        for region in sorted(self.dirty):
            self.dirty.discard(region)
            table = self.table(region)
            await self._store.save_table(table)
            out.append(IndicatorsPublished.create(table, source=SOURCE, region=region))
        return out

    async def snapshot(self, region: str, as_of: date | None = None) -> tuple[PassportSnapshot, PassportSnapshotTaken]:
        """Freeze an immutable, versioned passport of the region; the event announcing it."""
        day = as_of or self._clock()
        state = self.states.get(region) or RegionState(region)
        table = compute(state, day, self._targets.for_region(region))
        document = build_passport(state, day, table, IndicatorStore.positions_of(self.positions), self._resources)
        while True:
            latest = await self._store.latest_snapshot(region)
            version = (latest.version if latest else 0) + 1
            snap = PassportSnapshot(snapshot_id=f"{region}:{version}", region=region, version=version, as_of=day,
                                    taken_at=datetime.now(UTC), document=document)
            if await self._store.insert_snapshot(snap):
                return snap, PassportSnapshotTaken.create(snap, source=SOURCE, region=region)

    def regions(self) -> list[str]:
        return sorted(self.states)
