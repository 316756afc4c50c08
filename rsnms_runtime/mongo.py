"""MongoDB access through PyMongo's AsyncMongoClient, and the processed-events
ledger that recognises duplicates and conflicting re-uses of an event id.

Designed for FerretDB v1 as much as for MongoDB: single-document writes only,
no transactions, no change streams.
"""

from __future__ import annotations

import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import pydantic_core
from bson import Binary
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from rsnms_runtime.settings import Settings

T = TypeVar("T")


def connect(settings: Settings) -> AsyncMongoClient:
    return AsyncMongoClient(
        settings.mongodb_uri,
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        appname=f"rsnms-{settings.service}",
    )


def journal_id(prefix: str = "") -> str:
    """An `_id` for an appended journal document: time-ordered (for humans; readers of a
    journal need no order) and unique across instances."""
    return f"{prefix}{time.time_ns():020d}-{uuid.uuid4().hex[:12]}"


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """`items` in consecutive slices of at most `size` (one journal document each)."""
    return (items[n : n + size] for n in range(0, len(items), size))


def pack(value: Any) -> Binary:
    """JSON-compatible `value` as one compressed binary field (zlib level 1) of a journal
    document: FerretDB v1 handles one opaque field far faster than the same entries as nested
    documents (docs/decisions/packed-journals.md). `rsnms decode` shows such fields decoded."""
    return Binary(zlib.compress(pydantic_core.to_json(value), 1))


def unpack(data: bytes) -> Any:
    """The value `pack` stored."""
    return pydantic_core.from_json(zlib.decompress(data))


def database(client: AsyncMongoClient, settings: Settings) -> AsyncDatabase:
    return client[settings.database]


class ProcessedEvents:
    """Ledger of event ids a consumer has fully applied, with their content hash.

    Marking happens after the effects and the outgoing events are durable, so the
    ledger is an accelerator and the conflict detector; the projections themselves
    stay idempotent.

    Stored as a journal: each `mark` inserts one document per `CHUNK` entries (ids and
    hashes as two parallel arrays, packed into one binary field, see `pack`), and lookups
    are answered from an in-memory index loaded from the journal on first use and reloaded
    by `refresh()` (when the consumer is assigned partitions another instance may have
    marked events of); why a journal and not a document per id: docs/decisions/packed-journals.md.
    """

    CHUNK = 5000

    def __init__(self, db: AsyncDatabase, collection: str = "processed_events"):
        self._col = db[collection]
        self._index: dict[str, str] | None = None

    async def refresh(self) -> int:
        """(Re)load the index from the journal; the number of entries."""
        index: dict[str, str] = {}
        async for doc in self._col.find({}, batch_size=16):
            ids, hashes = unpack(doc["packed"])
            index.update(zip(ids, hashes, strict=True))
        self._index = index
        return len(index)

    async def known(self, event_ids: Iterable[str]) -> dict[str, str]:
        if self._index is None:
            await self.refresh()
        index = self._index or {}
        return {i: index[i] for i in set(event_ids) if i in index}

    async def mark(self, entries: Sequence[tuple[str, str]]) -> None:
        """Journal the entries (a replay's entries again is harmless: the index keeps one)."""
        if not entries:
            return
        now = datetime.now(UTC)
        docs = [
            {
                "_id": journal_id("chunk-"),
                "at": now,
                "count": len(part),
                "packed": pack([[i for i, _ in part], [h for _, h in part]]),
            }
            for part in chunks(entries, self.CHUNK)
        ]
        await self._col.insert_many(docs, ordered=True)
        if self._index is not None:
            self._index.update(entries)


@dataclass(frozen=True)
class Upsert:
    """One single-document upsert: `change` is an update document (`$set`, `$setOnInsert`, ...),
    or the whole new document when `replace` is true."""

    filter: Mapping[str, Any]
    change: Mapping[str, Any]
    replace: bool = False


def replacing(filter: Mapping[str, Any], document: Mapping[str, Any]) -> Upsert:
    return Upsert(filter, document, replace=True)


async def write_each(collection: Any, writes: Iterable[Upsert]) -> None:
    """Apply upserts one by one, in order, each its own single-document command.

    FerretDB v1 answers a bulk_write of upserts against a populated collection far more slowly than
    the same writes one by one (docs/decisions/ferretdb-single-document-writes.md). A real MongoDB
    would take them as one bulk_write; the writes are idempotent either way."""
    for write in writes:
        if write.replace:
            await collection.replace_one(write.filter, write.change, upsert=True)
        else:
            await collection.update_one(write.filter, write.change, upsert=True)


async def set_if_newer(collection: Any, docs: dict[str, dict[str, Any]], field: str) -> None:
    """Upsert each document unless the stored one has a `field` at least as high.

    Reads the stored values by `_id` and writes by `_id` only: a guard in the update
    filter (`{field: {"$lt": ...}}`) makes FerretDB v1 scan the collection on every write.
    Safe with one writer per key (each key's partition has one owner).
    """
    if not docs:
        return
    stored = {d["_id"]: d.get(field) async for d in collection.find({"_id": {"$in": list(docs)}}, {field: 1})}
    ops = [
        Upsert({"_id": _id}, {"$set": doc})
        for _id, doc in docs.items()
        if stored.get(_id) is None or stored[_id] < doc[field]
    ]
    await write_each(collection, ops)
