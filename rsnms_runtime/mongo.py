"""MongoDB access through PyMongo's AsyncMongoClient, and the processed-events
ledger that recognises duplicates and conflicting re-uses of an event id.

Designed for FerretDB v1 as much as for MongoDB: single-document writes only,
no transactions, no change streams.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from pymongo import AsyncMongoClient, ReplaceOne
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
        await self._col.bulk_write(
            [ReplaceOne({"_id": i}, {"_id": i, "hash": h, "at": now}, upsert=True) for i, h in entries],
            ordered=False,
        )
