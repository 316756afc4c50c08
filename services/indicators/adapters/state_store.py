"""MongoDB state store of the indicators service (implements StateRepository): a journal.

Each folded batch *appends* what it learned: `state_journal` gets the batch's partial
records (one entry per touched entity, at most `CHUNK` entries per document, packed into
one compressed binary field, see `rsnms_runtime.mongo.pack`) and
`position_journal` one small document with the Kafka positions the batch moved. Nothing is
ever updated in place. A reader joins all entries of an entity (`domain.fold.join`), which
gives the same record in any order, with duplicates, and whichever instance wrote them, so
several instances, a replayed batch or a stale writer after a rebalance cannot lose or
double anything. Positions are the maximum per partition.

Why a journal: FerretDB v1 answers every replace or update, even one addressed by `_id`, with
a scan of the collection, and bulk upserts stall; inserts cost the same at any size
(docs/decisions/runtime-costs.md, packed-journals.md). On a real MongoDB the per-entity
replace of the earlier design would be fine too; the journal is correct on both.

`compact()` folds the journal into one entry per entity (insert first, then delete what it
read), so start-up reads stay proportional to the entities, not to the batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from rsnms_runtime.logging import get_logger
from rsnms_runtime.mongo import chunks, delete_ids, journal_id, pack, unpack
from services.indicators.adapters.documents import decode, encode
from services.indicators.domain.fold import join
from services.indicators.domain.records import ENTITY_KINDS, EntityKind, EntityRef, Record, RegionState
from services.indicators.repository import EntityKey, Positions

log = get_logger(__name__)
#: entries per journal document (a batch of 2,000 educators stays far below 16 MB)
CHUNK = 2000
#: appends in the journal above which `settle` compacts it before a full load
COMPACT_AFTER = 64


def entry(key: EntityKey, record: Record) -> dict[str, Any]:
    doc = encode(key, record)
    del doc["_id"]
    doc["kind"] = key.kind
    return doc


class MongoStateStore:
    def __init__(self, db: AsyncDatabase, chunk: int = CHUNK):
        self._db = db
        self._journal = db["state_journal"]
        self._positions = db["position_journal"]
        self._chunk = chunk

    async def ensure_indexes(self) -> None:
        await self._journal.create_index("regions")

    async def append(self, records: Mapping[EntityKey, Record], positions: Positions) -> None:
        """Journal the batch's partial records, then the positions they include."""
        entries = [entry(k, r) for k, r in records.items()]
        docs = [
            {
                "_id": journal_id(),
                "regions": sorted({e["region"] for e in part}),
                "count": len(part),
                "packed": pack(part),
            }
            for part in chunks(entries, self._chunk)
        ]
        if docs:
            await self._journal.insert_many(docs, ordered=True)
        if positions:
            await self._positions.insert_one({"_id": journal_id(), "positions": _position_list(positions)})

    async def load_all(self) -> tuple[dict[str, RegionState], Positions]:
        states: dict[str, RegionState] = {}
        async for doc in self._journal.find({}, batch_size=64):
            _join_entries(states, _entries(doc))
        return states, await self._load_positions()

    async def load_region(self, region: str) -> tuple[RegionState, Positions]:
        states: dict[str, RegionState] = {region: RegionState(region)}
        async for doc in self._journal.find({"regions": region}, batch_size=64):
            _join_entries(states, (e for e in _entries(doc) if e["region"] == region))
        return states[region], await self._load_positions()

    async def _load_positions(self) -> Positions:
        out: Positions = {}
        async for doc in self._positions.find({}):
            _max_into(out, doc["positions"])
        return out

    async def settle(self) -> None:
        """Compact the journal when it has grown long (start-up, rebuild)."""
        if await self.journal_size() > COMPACT_AFTER:
            await self.compact()

    async def journal_size(self) -> int:
        """How many documents the journal holds."""
        return await self._journal.count_documents({})

    async def compact(self) -> int:
        """Rewrite the journal as one entry per entity; the number of documents it replaced.

        Inserts the compacted entries before deleting the documents it read, and deletes only
        those, so a crash or another instance appending meanwhile loses nothing (a crash may
        leave both copies, which the join absorbs)."""
        states: dict[str, RegionState] = {}
        read: list[str] = []
        async for doc in self._journal.find({}, batch_size=64):
            _join_entries(states, _entries(doc))
            read.append(doc["_id"])
        positions: Positions = {}
        position_ids: list[str] = []
        async for doc in self._positions.find({}):
            _max_into(positions, doc["positions"])
            position_ids.append(doc["_id"])
        await self.append(
            {
                EntityKey(region, kind, entity_id): record
                for region, state in states.items()
                for kind, entity_id, record in _records(state)
            },
            positions,
        )
        for ids, collection in ((read, self._journal), (position_ids, self._positions)):
            await delete_ids(collection, ids)
        log.info("indicator_journal_compacted", documents=len(read), regions=len(states))
        return len(read)


def _records(state: RegionState) -> Iterable[tuple[EntityKind, str, Record]]:
    for kind in ENTITY_KINDS:
        for entity_id, record in state.records(kind).items():
            yield kind, entity_id, record


def _entries(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A journal document's entries."""
    entries: list[dict[str, Any]] = unpack(doc["packed"])
    return entries


def _join_entries(states: dict[str, RegionState], entries: Iterable[dict[str, Any]]) -> None:
    for e in entries:
        region = e["region"]
        state = states.get(region) or states.setdefault(region, RegionState(region))
        ref = EntityRef(e["kind"], e["id"])
        records = state.records(ref.kind)
        found = records.get(ref.entity_id)
        if found is None:
            records[ref.entity_id] = decode(ref.kind, e)
        else:
            join(found, decode(ref.kind, e))


def _position_list(positions: Positions) -> list[dict[str, Any]]:
    return [{"topic": t, "partition": p, "offset": o} for (t, p), o in sorted(positions.items())]


def _max_into(out: Positions, items: Iterable[dict[str, Any]]) -> None:
    for d in items:
        tp = (d["topic"], d["partition"])
        out[tp] = max(out.get(tp, 0), d["offset"])
