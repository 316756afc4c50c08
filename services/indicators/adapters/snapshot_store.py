"""MongoDB store of passport snapshots (implements SnapshotRepository).

`passport_snapshots`: immutable and insert-only, `_id` = "<region>:<version>" (the snapshot
id): two writers racing for one version cannot both win, the loser takes the next one.
The snapshot itself is kept whole under `snapshot` (its keys are field names and
enumerations only, FerretDB-safe).
"""

from __future__ import annotations

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts import PassportSnapshot


class MongoSnapshotStore:
    def __init__(self, db: AsyncDatabase):
        self._snapshots = db["passport_snapshots"]

    async def ensure_indexes(self) -> None:
        await self._snapshots.create_index([("region", 1), ("version", DESCENDING)])

    async def latest(self, region: str) -> PassportSnapshot | None:
        doc = await self._snapshots.find_one({"region": region}, sort=[("version", DESCENDING)])
        return PassportSnapshot.model_validate(doc["snapshot"]) if doc else None

    async def get(self, region: str, version: int) -> PassportSnapshot | None:
        doc = await self._snapshots.find_one({"_id": f"{region}:{version}"})
        return PassportSnapshot.model_validate(doc["snapshot"]) if doc else None

    async def add(self, snapshot: PassportSnapshot) -> bool:
        try:
            await self._snapshots.insert_one(
                {
                    "_id": snapshot.snapshot_id,
                    "region": snapshot.region,
                    "version": snapshot.version,
                    "as_of": snapshot.as_of.isoformat(),
                    "taken_at": snapshot.taken_at.isoformat(),
                    "snapshot": snapshot.model_dump(mode="json"),
                }
            )
        except DuplicateKeyError:
            return False
        return True
