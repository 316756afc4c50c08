"""MongoDB access through PyMongo's AsyncMongoClient, and the processed-events
ledger that recognises duplicates and conflicting re-uses of an event id.

Designed for FerretDB v1 as much as for MongoDB: single-document writes only,
no transactions, no change streams.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import pydantic_core
from bson import Binary
from pymongo import AsyncMongoClient, DeleteOne
from pymongo.asynchronous.database import AsyncDatabase

from rsnms_runtime.compression import compress, decompress
from rsnms_runtime.logging import get_logger
from rsnms_runtime.settings import Settings

T = TypeVar("T")
log = get_logger(__name__)


def connect(settings: Settings) -> AsyncMongoClient:
    return AsyncMongoClient(
        settings.mongodb_uri,
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        appname=f"rsnms-{settings.service}",
    )


def journal_id(prefix: str = "") -> str:
    """An `_id` for an appended journal document: ordered by the writer's clock and unique
    across instances. The processed-events ledger reads a partition's documents in this order
    (the order they were marked); the services' state journals need no order."""
    return f"{prefix}{time.time_ns():020d}-{uuid.uuid4().hex[:12]}"


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """`items` in consecutive slices of at most `size` (one journal document each)."""
    return (items[n : n + size] for n in range(0, len(items), size))


def pack(value: Any) -> Binary:
    """JSON-compatible `value` as one compressed binary field (`compression.compress`) of a journal
    document: FerretDB v1 handles one opaque field far faster than the same entries as nested
    documents (docs/decisions/packed-journals.md). `rsnms decode` shows such fields decoded."""
    return Binary(compress(pydantic_core.to_json(value)))


def unpack(data: bytes, blobs: bytes | None = None) -> Any:
    """The value `pack` (or `pack_with_blobs`, given its `blobs`) stored."""
    value = pydantic_core.from_json(decompress(data))
    return value if blobs is None else _with_blobs(value, bytes(blobs))


class Blob:
    """Compressed JSON its owner made once (a routes file, held so in memory), put into a journal
    entry as it is: `pack_with_blobs` stores the bytes of every blob beside the packed entries,
    so they are neither serialised nor compressed a second time, and `unpack` gives them back as
    `Blob`s. `rsnms decode` shows the value itself."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Blob) and other.data == self.data

    def __hash__(self) -> int:
        return hash(self.data)

    def __repr__(self) -> str:
        return f"Blob({len(self.data)} bytes)"


#: the key of an entry value `pack_with_blobs` moved out of the packed entries: `[offset, length]`
#: in the document's `blobs` field
BLOB = "$blob"


def pack_with_blobs(value: Any) -> tuple[Binary, Binary | None]:
    """`pack(value)`, the bytes of each `Blob` inside it moved to a second binary field (None when
    there is none), each replaced by `{"$blob": [offset, length]}` into it."""
    blobs: list[bytes] = []
    size = 0

    def moved(item: Any) -> Any:
        nonlocal size
        if not isinstance(item, Blob):
            raise TypeError(f"{type(item).__name__} is not JSON-compatible")
        blobs.append(item.data)
        size += len(item.data)
        return {BLOB: [size - len(item.data), len(item.data)]}

    packed = Binary(compress(pydantic_core.to_json(value, fallback=moved)))
    return packed, (Binary(b"".join(blobs)) if blobs else None)


def _with_blobs(value: Any, blobs: bytes) -> Any:
    """`value` with every `{"$blob": [offset, length]}` replaced by that `Blob` of `blobs`."""
    if isinstance(value, dict):
        ref = value.get(BLOB)
        if ref is not None and len(value) == 1:
            offset, length = ref
            return Blob(blobs[offset : offset + length])
        return {k: _with_blobs(v, blobs) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_blobs(v, blobs) for v in value]
    return value


#: the key of an entry value that is JSON already compressed, as written before `Blob`s
COMPRESSED = "$zlib"


def compressed_bytes(value: Any) -> bytes | None:
    """The compressed JSON of a `Blob` (or of an older entry's `{"$zlib": <base64>}`); None for any
    other value."""
    if isinstance(value, Blob):
        return value.data
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get(COMPRESSED), str):
        return base64.b64decode(value[COMPRESSED])
    return None


def database(client: AsyncMongoClient, settings: Settings) -> AsyncDatabase:
    return client[settings.database]


class ProcessedEvents:
    """Ledger of event ids a consumer has fully applied, with their content hash, per partition.

    Marking happens after the effects and the outgoing events are durable, so the ledger is an
    accelerator and the conflict detector; the projections themselves stay idempotent.

    Bounded: it remembers the last `window` events of each partition (a redelivery, a replay by a
    source or a re-drive arrives on the partition of its key). Only the partitions a consumer is
    assigned are held in memory; an assignment loads the partitions that are new to it and drops
    those it lost, so a rebalance does not reload the rest. Stored as a journal: each `mark` inserts
    one document per partition and `CHUNK` entries (ids and hashes packed into one binary field,
    see `pack`), read back in the order they were written. The ledger knows which document holds
    the newest mark of each entry it remembers: once a partition has more than `MAX_DOCS` documents,
    those none of whose entries is remembered any more are deleted and the newest documents, as long
    as they are small (fewer than `CHUNK` entries remembered), are rewritten as full ones. A
    compaction so rewrites what the last batches marked, not the whole window. Compactions run in
    a background task after the mark that made them due, one at a time, and a batch never waits
    for one (the entries a compaction moves are durable before it starts; `settled` waits for it:
    an assignment, a stop, tests); they delete by `_id`, paced (`delete_ids`). Documents of the
    earlier layouts (without a partition) are still read, for every partition.
    """

    CHUNK = 5000
    #: documents of a partition that make a compaction due: a compaction rewrites the small ones
    #: and deletes the unused ones, so the fewer the better; the small documents that pile up
    #: meanwhile cost little (a reload reads a few more)
    MAX_DOCS = 256
    #: `tp` of the documents written before the ledger was kept per partition
    UNPARTITIONED = ""

    def __init__(self, db: AsyncDatabase, collection: str = "processed_events", window: int = 50_000):
        self._col = db[collection]
        self.window = window
        #: partition ("topic:partition") -> event id -> hash, oldest first
        self._index: dict[str, dict[str, str]] = {}
        #: partition -> event id -> the journal document holding its newest mark
        self._holder: dict[str, dict[str, str]] = {}
        #: partition -> its journal documents (in the order remembered; a reload reads them in `_id`
        #: order, the order of the marks) -> entries of the index they hold
        self._docs: dict[str, dict[str, int]] = {}
        #: partitions with more than MAX_DOCS documents, and the task compacting them
        self._due: set[str] = set()
        self._compacting: asyncio.Task[None] | None = None

    @staticmethod
    def partition_key(topic: str, partition: int) -> str:
        return f"{topic}:{partition}"

    async def _load(self, tp: str, query: dict[str, Any]) -> None:
        self._index[tp], self._holder[tp], self._docs[tp] = {}, {}, {}
        async for doc in self._col.find(query, batch_size=16).sort("_id", 1):
            ids, hashes = unpack(doc["packed"])
            self._remember(tp, doc["_id"], zip(ids, hashes, strict=True))
        self._trim(tp)

    def _remember(self, tp: str, doc_id: str, entries: Iterable[tuple[str, str]], marked: bool = True) -> None:
        """Entries journalled in document `doc_id`: `marked` now (the newest entries), or only
        moved there by a compaction (their place in the index stays)."""
        index, holder = self._index.setdefault(tp, {}), self._holder.setdefault(tp, {})
        docs = self._docs.setdefault(tp, {})
        docs.setdefault(doc_id, 0)
        for event_id, digest in entries:
            previous = holder.get(event_id)
            if previous is not None:
                docs[previous] -= 1
            if marked:
                index.pop(event_id, None)  # moves to the newest end
                index[event_id] = digest
            holder[event_id] = doc_id
            docs[doc_id] += 1

    async def assign(self, partitions: Iterable[tuple[str, int]]) -> int:
        """Hold the ledger of exactly these partitions: load the new ones, drop the others. The
        number of entries held."""
        wanted = {self.partition_key(t, p) for t, p in partitions}
        await self.settled()
        if self.UNPARTITIONED not in self._index:
            await self._load(self.UNPARTITIONED, {"tp": {"$exists": False}})
        for tp in [tp for tp in self._index if tp not in wanted and tp != self.UNPARTITIONED]:
            del self._index[tp], self._holder[tp], self._docs[tp]
        for tp in sorted(wanted - self._index.keys()):
            await self._load(tp, {"tp": tp})
        return sum(len(index) for index in self._index.values())

    def held(self) -> dict[str, int]:
        """Entries held per partition (operators, tests)."""
        return {tp: len(index) for tp, index in self._index.items()}

    async def known(self, topic: str, partition: int, event_ids: Iterable[str]) -> dict[str, str]:
        """The hashes of those of `event_ids` applied (within the window) on this partition, or on
        another partition of the topic held (an id re-used under another key lands elsewhere on
        the same topic: an event type has one topic), or in the ledger of the earlier layout."""
        tp = self.partition_key(topic, partition)
        if tp not in self._index:
            await self.assign([*self._split(self._index), (topic, partition)])
        same_topic = f"{topic}:"
        indexes = [
            self._index[tp],
            *(
                index
                for other, index in self._index.items()
                if index and other != tp and (other.startswith(same_topic) or other == self.UNPARTITIONED)
            ),
        ]
        found = {}
        for i in set(event_ids):
            for index in indexes:
                digest = index.get(i)
                if digest is not None:
                    found[i] = digest
                    break
        return found

    @staticmethod
    def _split(tps: Iterable[str]) -> list[tuple[str, int]]:
        out = []
        for tp in tps:
            if tp:
                topic, _, partition = tp.rpartition(":")
                out.append((topic, int(partition)))
        return out

    async def mark(self, topic: str, partition: int, entries: Sequence[tuple[str, str]]) -> None:
        """Journal the entries of one partition (a replay's entries again is harmless)."""
        await self.mark_all({(topic, partition): entries})

    async def mark_all(self, entries: Mapping[tuple[str, int], Sequence[tuple[str, str]]]) -> None:
        """Journal the entries of several partitions with one insert."""
        now = datetime.now(UTC)
        docs = []
        for (topic, partition), part_entries in entries.items():
            tp = self.partition_key(topic, partition)
            docs.extend(self._chunk_docs(tp, part_entries, now))
        if not docs:
            return
        await self._col.insert_many([doc for doc, _ in docs], ordered=True)
        for doc, part in docs:
            self._remember(doc["tp"], doc["_id"], part)
        for tp in dict.fromkeys(doc["tp"] for doc, _ in docs):
            self._trim(tp)
            if len(self._docs[tp]) > self.MAX_DOCS:
                self._due.add(tp)
        if self._due and (self._compacting is None or self._compacting.done()):
            self._compacting = asyncio.create_task(self._compact_due())

    async def settled(self) -> None:
        """Until no compaction runs (one started by the last marks included)."""
        while self._compacting is not None and not self._compacting.done():
            await asyncio.wait({self._compacting})

    async def _compact_due(self) -> None:
        """Compact the partitions found due, also those marks make due meanwhile. A failure is
        logged: the partition is due again at its next mark."""
        while self._due:
            tp = self._due.pop()
            if len(self._docs.get(tp, ())) <= self.MAX_DOCS:
                continue
            try:
                await self._compact(tp)
            except Exception as exc:  # noqa: BLE001 - e.g. the database unavailable for a while
                log.warning("ledger_compaction_failed", partition=tp, error=f"{type(exc).__name__}: {exc}")

    def _chunk_docs(
        self, tp: str, entries: Sequence[tuple[str, str]], now: datetime, after: str | None = None
    ) -> list[tuple[dict[str, Any], Sequence[tuple[str, str]]]]:
        """The journal documents of `entries`, each with the entries it holds; `after`: their ids
        sort right after this document's and before any marked later (a compaction's)."""
        return [
            (
                {
                    "_id": journal_id("chunk-") if after is None else f"{after}-c{n:04d}{uuid.uuid4().hex[:6]}",
                    "tp": tp,
                    "at": now,
                    "count": len(part),
                    "packed": pack([[i for i, _ in part], [h for _, h in part]]),
                },
                part,
            )
            for n, part in enumerate(chunks(entries, self.CHUNK))
        ]

    def _trim(self, tp: str) -> None:
        index, holder, docs = self._index[tp], self._holder[tp], self._docs[tp]
        excess = len(index) - self.window
        if excess > 0:
            for event_id in list(itertools.islice(index, excess)):
                del index[event_id]
                docs[holder.pop(event_id)] -= 1

    async def _compact(self, tp: str) -> None:
        """Rewrite the newest documents of a partition, as long as they are small, as full ones
        (their entries are the newest, so the documents stay in the order of the marks), then
        delete the documents that hold no remembered entry. New documents first, so a failure in
        between leaves entries twice, which is harmless. Marks may run while it waits for the
        database: an entry marked or trimmed meanwhile stays where that put it."""
        docs, holder = self._docs[tp], self._holder[tp]
        small: set[str] = set()
        # newest first in the order a reload reads them (`_id`), not in the order they were
        # remembered: a compaction's documents are remembered after a mark made while it waited,
        # but placed before it
        for doc_id in sorted(docs, reverse=True):
            if docs[doc_id] >= self.CHUNK:
                break
            small.add(doc_id)
        if len(small) > 1:
            moved = [(i, h) for i, h in self._index[tp].items() if holder[i] in small]
            # in the place of the newest document rewritten: a mark made while this one waits for
            # the database has a later id, and a reload reads the entries in the order of the marks
            new = self._chunk_docs(tp, moved, datetime.now(UTC), after=max(small))
            await self._col.insert_many([doc for doc, _ in new], ordered=True)
            if self._docs.get(tp) is not docs:
                return  # the partition was dropped or loaded again meanwhile
            for doc, part in new:
                self._remember(tp, doc["_id"], [(i, h) for i, h in part if holder.get(i) in small], marked=False)
        unused = [doc_id for doc_id, held in docs.items() if held == 0]
        for doc_id in unused:
            del docs[doc_id]
        await delete_ids(self._col, unused)


async def delete_ids(collection: Any, ids: Iterable[str], chunk: int = 16, pause_s: float = 0.02) -> None:
    """Delete the documents with these `_id`s, `chunk` at a time with a pause between (one
    request each chunk, one `_id` equality per document).

    An `_id` equality is a lookup in the `_id` index (in the embedded FerretDB since its index is
    built on the expression its queries use: docs/decisions/ferretdb-id-index.md); an `$in` makes
    FerretDB v1 read and decode every document of the collection. Each deletion is a write
    transaction of the service's SQLite database, and SQLite lets a writer that finds the database
    busy sleep 1, 2, 5 ... 100 ms before it tries again: back-to-back deletions made a batch's
    journal insert or ledger mark wait up to seconds behind a background compaction. The pauses
    give those writes their turn (docs/benchmarks/pipeline.md, session 7)."""
    ids = list(ids)
    for n in range(0, len(ids), chunk):
        if n:
            await asyncio.sleep(pause_s)
        await collection.bulk_write([DeleteOne({"_id": _id}) for _id in ids[n : n + chunk]], ordered=False)
