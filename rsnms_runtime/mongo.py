"""MongoDB access through PyMongo's AsyncMongoClient, and the processed-events
ledger that recognises duplicates and conflicting re-uses of an event id.

Designed for FerretDB v1 as much as for MongoDB: single-document writes only,
no transactions, no change streams.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from datetime import UTC, datetime

from pymongo import AsyncMongoClient, ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from rsnms_runtime.settings import Settings


def connect(settings: Settings) -> AsyncMongoClient:
    return AsyncMongoClient(
        settings.mongodb_uri, tz_aware=True, serverSelectionTimeoutMS=5000,
        appname=f"rsnms-{settings.service}",
    )


def database(client: AsyncMongoClient, settings: Settings) -> AsyncDatabase:
    return client[settings.database]


class ProcessedEvents:
    """Ledger of event ids a consumer has fully applied, with their content hash.

    Marking happens after the effects and the outgoing events are durable, so the
    ledger is an accelerator and the conflict detector; the projections themselves
    stay idempotent.
    """

    def __init__(self, db: AsyncDatabase, collection: str = "processed_events"):
        self._col = db[collection]

    async def known(self, event_ids: Iterable[str]) -> dict[str, str]:
        ids = list(set(event_ids))
        if not ids:
            return {}
        return {d["_id"]: d["hash"] async for d in self._col.find({"_id": {"$in": ids}}, {"hash": 1})}

    async def mark(self, entries: Sequence[tuple[str, str]]) -> None:
        if not entries:
            return
        now = datetime.now(UTC)
        await write_in_chunks(
            self._col, [ReplaceOne({"_id": i}, {"_id": i, "hash": h, "at": now}, upsert=True) for i, h in entries],
            ordered=False)


#: operations per bulk write: FerretDB v1 slows down sharply on large bulks
WRITE_CHUNK = 100


async def write_in_chunks(collection: Any, ops: Sequence[Any], ordered: bool = True) -> None:
    """bulk_write in chunks of WRITE_CHUNK operations, in order."""
    for start in range(0, len(ops), WRITE_CHUNK):
        await collection.bulk_write(list(ops[start:start + WRITE_CHUNK]), ordered=ordered)


async def set_if_newer(collection: Any, docs: dict[str, dict[str, Any]], field: str) -> None:
    """Upsert each document unless the stored one has a `field` at least as high.

    Reads the stored values by `_id` and writes by `_id` only: a guard in the update
    filter (`{field: {"$lt": ...}}`) makes FerretDB v1 scan the collection on every write.
    Safe with one writer per key (each key's partition has one owner).
    """
    if not docs:
        return
    stored = {d["_id"]: d.get(field) async for d in collection.find({"_id": {"$in": list(docs)}}, {field: 1})}
    ops = [UpdateOne({"_id": _id}, {"$set": doc}, upsert=True) for _id, doc in docs.items()
           if stored.get(_id) is None or stored[_id] < doc[field]]
    await write_in_chunks(collection, ops)
