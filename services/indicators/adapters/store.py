"""The indicators service's MongoDB stores in one place (database `<prefix>_indicators`):
state (`state_store`), live tables (`table_store`) and passport snapshots (`snapshot_store`)."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from services.indicators.adapters.snapshot_store import MongoSnapshotStore
from services.indicators.adapters.state_store import MongoStateStore
from services.indicators.adapters.table_store import MongoTableStore
from services.indicators.domain.records import RegionState
from services.indicators.repository import Positions


class IndicatorStore:
    def __init__(self, db: AsyncDatabase):
        self.state = MongoStateStore(db)
        self.tables = MongoTableStore(db)
        self.snapshots = MongoSnapshotStore(db)

    async def ensure_indexes(self) -> None:
        await self.state.ensure_indexes()
        await self.tables.ensure_indexes()
        await self.snapshots.ensure_indexes()

    async def load(self) -> tuple[dict[str, RegionState], Positions]:
        """Every region's folded state and the Kafka positions it includes."""
        return await self.state.load_all()
