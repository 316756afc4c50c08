"""The ports of the indicators service: what its use cases need from persistence.

`adapters/` implements them on MongoDB / FerretDB; the unit tests use in-memory fakes.
An entity's state is addressed by `EntityKey` (region, kind, id); Kafka positions by
(topic, partition) -> the next offset (every message before it is folded).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol

from contracts import IndicatorTable, PassportSnapshot
from services.indicators.domain.records import EntityKind, EntityRef, Record, RegionState

Positions = dict[tuple[str, int], int]


class EntityKey(NamedTuple):
    region: str
    kind: EntityKind
    entity_id: str

    @property
    def ref(self) -> EntityRef:
        return EntityRef(self.kind, self.entity_id)


class StateRepository(Protocol):
    async def load_all(self) -> tuple[dict[str, RegionState], Positions]:
        """Every region's state and the positions it includes (start-up, rebuild)."""
        ...

    async def load_region(self, region: str) -> tuple[RegionState, Positions]:
        """One region's whole state as stored (by every instance), and every stored position."""
        ...

    async def append(self, records: Mapping[EntityKey, Record], positions: Positions) -> None:
        """Persist partial records (what a batch learned: joined with the stored ones on read),
        then the positions they include (the maximum per partition counts)."""
        ...

    async def settle(self) -> None:
        """Before a full load: whatever keeps loading proportional to the entities rather than to
        the batches ever appended (how, and when it is worth it, is the store's business)."""
        ...


class TableRepository(Protocol):
    async def save(self, table: IndicatorTable) -> None:
        """Store the table of a region as of a date (absolute values: idempotent)."""
        ...


class SnapshotRepository(Protocol):
    async def latest(self, region: str) -> PassportSnapshot | None: ...

    async def add(self, snapshot: PassportSnapshot) -> bool:
        """Insert-only; False if this region already has a snapshot of this version."""
        ...


class Stores(Protocol):
    """The three stores together, as the composition root takes them (MongoDB: adapters/store.py)."""

    @property
    def state(self) -> StateRepository: ...

    @property
    def tables(self) -> TableRepository: ...

    @property
    def snapshots(self) -> SnapshotRepository: ...

    async def ensure_indexes(self) -> None: ...
