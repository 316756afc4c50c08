"""The diagnostics repository on MongoDB / FerretDB v1 (pymongo AsyncMongoClient).

Per batch: one read of each collection by `_id` (run together), a read of `diagnoses` by
educator only when a result arrives older than the educator's latest diagnosis, and one
bulk write per collection. No transactions, so every write is idempotent on its own:
- a diagnosis is inserted if missing (`$setOnInsert`): a stored one is never replaced;
- a latest pointer is inserted if missing, then set only if the new order key is greater:
  it moves forward whatever the order of arrival or of a crash between the two writes.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from contracts import DeficitDiagnosed, Diagnosis
from rsnms_runtime.mongo import Upsert, set_if_newer, write_each
from services.diagnostics.adapters.documents import diagnosis_document, diagnosis_of, latest_document
from services.diagnostics.repository import Loaded, diagnosis_key, educator_key

DIAGNOSES = "diagnoses"
EDUCATOR_LATEST = "educator_latest"


async def _by_id(collection: AsyncCollection, ids: list[str], fields: dict[str, int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return [d async for d in collection.find({"_id": {"$in": ids}}, fields)]


class MongoDiagnosisRepository:
    """Collections `diagnoses` and `educator_latest` of the service's database."""

    def __init__(self, db: AsyncDatabase):
        self._diagnoses = db[DIAGNOSES]
        self._latest = db[EDUCATOR_LATEST]

    async def ensure_indexes(self) -> None:
        await self._diagnoses.create_index("educator_key")

    async def load(self, diagnosis_keys: list[str], educator_keys: list[str]) -> Loaded:
        emitted, latest = await asyncio.gather(
            _by_id(self._diagnoses, sorted(set(diagnosis_keys)), {"event": 1}),
            _by_id(self._latest, sorted(set(educator_keys)), {"diagnosis": 1}),
        )
        loaded = Loaded()
        for doc in emitted:
            loaded.emitted[doc["_id"]] = DeficitDiagnosed.model_validate_json(doc["event"])
        for doc in latest:
            loaded.latest[doc["_id"]] = diagnosis_of(doc)
        return loaded

    async def history(self, educator_keys: list[str]) -> dict[str, list[Diagnosis]]:
        found: dict[str, list[Diagnosis]] = defaultdict(list)
        if educator_keys:
            async for doc in self._diagnoses.find(
                {"educator_key": {"$in": sorted(set(educator_keys))}}, {"educator_key": 1, "diagnosis": 1}
            ):
                found[doc["educator_key"]].append(diagnosis_of(doc))
        return dict(found)

    async def save(self, fresh: list[DeficitDiagnosed], latest: list[DeficitDiagnosed]) -> None:
        if fresh:
            await write_each(
                self._diagnoses,
                [
                    Upsert(
                        {"_id": diagnosis_key(e.region, e.payload.diagnosis_id)},
                        {"$setOnInsert": diagnosis_document(e)},
                    )
                    for e in fresh
                ],
            )
        newest: dict[str, dict] = {}
        for e in latest:
            key, doc = educator_key(e.region, e.payload.educator_id), latest_document(e)
            if key not in newest or newest[key]["order"] < doc["order"]:
                newest[key] = doc
        await set_if_newer(self._latest, newest, "order")
