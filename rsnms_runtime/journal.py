"""An append-only journal of a service's state: entries packed into inserted documents, read
back whole, never updated in place.

A service keeps its state in memory and appends, once per batch, what the batch changed
(`append`: one insert per `chunk` entries, packed into one compressed binary field, see
`rsnms_runtime.mongo.pack_with_blobs`). On start and when it is assigned partitions another
instance may have written for, it reads every entry back (`entries`) and folds them into its
state; `compact` rewrites what was read as the current state (inserted first, then the documents
it read deleted, so a crash loses nothing). A write costs the same whatever the size of the
collection: FerretDB v1 answers every update, even by `_id`, with a scan of the collection
(docs/benchmarks/pipeline.md). Reading and writing a national state takes seconds of CPU: both
let the event loop turn after each document (the Kafka consumer's heartbeats run on it; held
up past the session timeout, the group drops the member, and the rebalance makes it read its
state again).

Documents: `{_id: <time-ordered id>, at, count, packed}`, and `blobs` when entries hold
`mongo.Blob`s (compressed JSON stored as it is); `decoded(doc)` gives the entries of one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from rsnms_runtime.mongo import chunks, delete_ids, journal_id, pack_with_blobs, unpack

#: entries per journal document (far below the 16 MB document limit for entries of a few KB)
CHUNK = 2000


class Journal:
    def __init__(self, collection: AsyncCollection, chunk: int = CHUNK):
        self._col = collection
        self._chunk = chunk

    @property
    def name(self) -> str:
        return self._col.name

    async def append(self, entries: Sequence[Any]) -> None:
        """Journal JSON-compatible entries (in order), one document per chunk."""
        if not entries:
            return
        now = datetime.now(UTC)
        docs = []
        for n, part in enumerate(chunks(entries, self._chunk)):
            if n:
                await asyncio.sleep(0)
            packed, blobs = pack_with_blobs(list(part))
            doc = {"_id": journal_id(), "at": now, "count": len(part), "packed": packed}
            if blobs is not None:
                doc["blobs"] = blobs
            docs.append(doc)
        await self._col.insert_many(docs, ordered=True)

    async def documents(self) -> AsyncIterator[tuple[str, list[Any]]]:
        """(document id, its entries) in the order they were appended."""
        async for doc in self._col.find({}, batch_size=16).sort("_id", 1):
            yield doc["_id"], decoded(doc)
            await asyncio.sleep(0)  # a cursor's batch of documents is decoded and folded otherwise in one go

    async def entries(self) -> AsyncIterator[Any]:
        async for _, entries in self.documents():
            for e in entries:
                yield e

    async def size(self) -> int:
        return await self._col.count_documents({})

    async def compact(self, current: Sequence[Any], read: Sequence[str]) -> None:
        """Replace the documents `read` by the entries of the `current` state folded from them."""
        await self.append(current)
        await delete_ids(self._col, read)


def decoded(doc: dict[str, Any]) -> list[Any]:
    """The entries of a journal document."""
    return unpack(doc["packed"], doc.get("blobs")) if "packed" in doc else []
