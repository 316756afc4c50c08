"""MongoDB state store of the indicators service (implements StateRepository).

Collections (see `documents`): `educators`, `organizations`, `programs`, `support_staff`,
`management_teams`, `cnppm_staff`, `roadmap_items`, one document per entity, replaced whole
(single-document writes, idempotent: FerretDB v1 has no transactions); `positions`: the
next Kafka offset per topic-partition folded into them, only ever moved forward. Every write
is addressed by `_id` alone and bulk writes are chunked (rsnms_runtime.mongo): FerretDB v1
scans a collection for any other filter. Reads are by `_id` or by `region` equality (which
FerretDB v1 pushes down to PostgreSQL).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from rsnms_runtime.logging import get_logger
from rsnms_runtime.mongo import set_if_newer, write_each
from services.indicators.adapters.documents import COLLECTIONS, decode, doc_id, encode
from services.indicators.domain.records import EntityKind, Record, RegionState
from services.indicators.repository import EntityKey, Positions

log = get_logger(__name__)
#: the single collection of the first draft; its documents are not read any more
LEGACY = "entities"


def position_id(topic: str, partition: int) -> str:
    return f"{topic}|{partition}"


class MongoStateStore:
    def __init__(self, db: AsyncDatabase):
        self._db = db
        self._positions = db["positions"]

    def _collection(self, kind: EntityKind) -> Any:
        return self._db[COLLECTIONS[kind]]

    async def ensure_indexes(self) -> None:
        for kind in COLLECTIONS:
            await self._collection(kind).create_index("region")

    async def load_all(self) -> tuple[dict[str, RegionState], Positions]:
        states: dict[str, RegionState] = {}
        for kind in COLLECTIONS:
            async for doc in self._collection(kind).find({}, batch_size=5000):
                region = doc["region"]
                state = states.get(region) or states.setdefault(region, RegionState(region))
                state.records(kind)[doc["id"]] = decode(kind, doc)
        positions = await self._load_positions()
        if await self._db[LEGACY].find_one({}, {"_id": 1}) is not None:
            log.warning("legacy_indicator_state_ignored", collection=LEGACY,
                        action="run `rsnms rebuild indicators` to refold the topics into the current collections")
        return states, positions

    async def _load_positions(self) -> Positions:
        return {(d["topic"], d["partition"]): d["offset"] async for d in self._positions.find({})}

    async def load_region(self, region: str) -> tuple[RegionState, Positions]:
        state = RegionState(region)
        for kind in COLLECTIONS:
            async for doc in self._collection(kind).find({"region": region}, batch_size=5000):
                state.records(kind)[doc["id"]] = decode(kind, doc)
        return state, await self._load_positions()

    async def get(self, keys: Collection[EntityKey]) -> dict[EntityKey, Record]:
        by_kind: dict[EntityKind, dict[str, EntityKey]] = defaultdict(dict)
        for key in keys:
            by_kind[key.kind][doc_id(key)] = key
        out: dict[EntityKey, Record] = {}
        for kind, ids in by_kind.items():
            async for doc in self._collection(kind).find({"_id": {"$in": list(ids)}}):
                out[ids[doc["_id"]]] = decode(kind, doc)
        return out

    async def save(self, records: Mapping[EntityKey, Record], positions: Mapping[tuple[str, int], int]) -> None:
        by_kind: dict[EntityKind, list[ReplaceOne]] = defaultdict(list)
        for key, record in records.items():
            doc = encode(key, record)
            by_kind[key.kind].append(ReplaceOne({"_id": doc["_id"]}, doc, upsert=True))
        for kind, ops in by_kind.items():
            await write_each(self._collection(kind), ops, ordered=False)
        await set_if_newer(self._positions, {
            position_id(t, p): {"topic": t, "partition": p, "offset": o} for (t, p), o in sorted(positions.items())
        }, "offset")  # raised, never lowered (each partition has one owner)
