"""The processed-events ledger on the real FerretDB: marks are journalled per partition, another
instance sees them when it is assigned the partition, marking a replay again is harmless, entries
 (the last `window` entries of each partition,
in memory and in the collection), an assignment loads only the partitions new to it, and what was
journalled before the ledger was kept per partition is still known."""

from __future__ import annotations

import uuid

import pytest
from pymongo import AsyncMongoClient

from rsnms_runtime.mongo import ProcessedEvents, pack

pytestmark = pytest.mark.infra
T = "rsnms.registry.facts"


async def test_marks_survive_restarts_reach_other_instances_on_assignment_and_replays_are_harmless(infra, prefix):
    client = AsyncMongoClient(infra.mongodb)
    db = client[f"{prefix}_ledger"]
    entries = [(str(uuid.uuid4()), f"h{n}") for n in range(ProcessedEvents.CHUNK + 10)]
    try:
        # written before the ledger was kept per partition: no `tp`, known on every partition
        await db["processed_events"].insert_one(
            {"_id": "chunk-old", "count": 3, "packed": pack([["legacy-id", "a1", "a2"], ["legacy-hash", "h1", "h2"]])}
        )
        mine, other = ProcessedEvents(db), ProcessedEvents(db)
        await mine.assign([(T, 0), (T, 1)])
        assert await mine.known(T, 0, ["legacy-id", "a2", entries[0][0]]) == {"legacy-id": "legacy-hash", "a2": "h2"}
        await other.assign([(T, 2)])
        await mine.mark(T, 0, entries)
        await mine.mark(T, 0, entries[:3])  # a replayed batch marked again
        seen_by_mine = await mine.known(T, 0, (i for i, _ in entries))
        elsewhere = await mine.known(T, 1, [entries[0][0]])
        # partition 0 moves to the other instance: it loads it, and keeps partition 2 as it was
        loaded = await other.assign([(T, 0), (T, 2)])
        seen_by_other = await other.known(T, 0, (i for i, _ in entries))
        await mine.assign([(T, 1)])
        held = mine.held()
        restarted = ProcessedEvents(db)
        await restarted.assign([(T, 0)])
        after_restart = await restarted.known(T, 0, [entries[-1][0], "never-seen"])
        chunks = await db["processed_events"].count_documents({"tp": f"{T}:0"})
    finally:
        await client.drop_database(f"{prefix}_ledger")
        await client.close()
    assert seen_by_mine == seen_by_other == dict(entries)
    assert elsewhere == {entries[0][0]: "h0"}  # found on another partition held (an id under another key)
    assert loaded == len(entries) + 3  # partition 0's entries and the 3 legacy ones
    assert held == {"": 3, f"{T}:1": 0}
    assert after_restart == {entries[-1][0]: entries[-1][1]}
    assert chunks == 3  # two for the first mark (CHUNK + 10 entries), one for the replay


async def test_the_ledger_keeps_the_last_window_of_each_partition_in_memory_and_in_the_collection(infra, prefix):
    client = AsyncMongoClient(infra.mongodb)
    db = client[f"{prefix}_ledger"]
    try:
        ledger = ProcessedEvents(db, window=100)
        await ledger.assign([(T, 0)])
        ids = [f"e{n}" for n in range(1000)]
        for batch in range(100):  # 100 small batches: more journal documents than MAX_DOCS
            await ledger.mark(T, 0, [(i, "h") for i in ids[batch * 10 : batch * 10 + 10]])
        await ledger.settled()  # compactions run in the background
        held = ledger.held()[f"{T}:0"]
        recent = await ledger.known(T, 0, ids[-100:])
        old = await ledger.known(T, 0, ids[:800])
        documents = await db["processed_events"].count_documents({"tp": f"{T}:0"})
        reloaded = ProcessedEvents(db, window=100)
        await reloaded.assign([(T, 0)])
        reloaded_recent = await reloaded.known(T, 0, ids[-100:])
    finally:
        await client.drop_database(f"{prefix}_ledger")
        await client.close()
    assert held == 100 and len(recent) == 100 and old == {}
    assert documents <= ProcessedEvents.MAX_DOCS + 1
    assert len(reloaded_recent) == 100


class SmallChunks(ProcessedEvents):
    CHUNK = 20
    MAX_DOCS = 8


async def test_a_compaction_rewrites_the_newest_small_documents_and_a_reload_keeps_the_last_window(infra, prefix):
    client = AsyncMongoClient(infra.mongodb)
    db = client[f"{prefix}_ledger"]
    try:
        ledger = SmallChunks(db, window=100)
        await ledger.assign([(T, 0)])
        ids = [f"e{n}" for n in range(2100)]
        for batch in range(300):  # batches of 7: documents far smaller than CHUNK
            marks = [(i, f"h{i}") for i in ids[batch * 7 : batch * 7 + 7]]
            if batch % 10 == 9:
                marks += [(ids[batch * 7 - 30], f"h{ids[batch * 7 - 30]}")]  # a replay marked again
            await ledger.mark(T, 0, marks)
        await ledger.settled()
        in_memory = await ledger.known(T, 0, ids)
        stored = [d async for d in db["processed_events"].find({"tp": f"{T}:0"})]
        reloaded = SmallChunks(db, window=100)
        await reloaded.assign([(T, 0)])
        after_reload = await reloaded.known(T, 0, ids)
    finally:
        await client.drop_database(f"{prefix}_ledger")
        await client.close()
    assert len(in_memory) == 100 and set(in_memory) >= set(ids[-90:])
    assert after_reload == in_memory  # read back in the order of the marks: the same last window
    assert len(stored) <= SmallChunks.MAX_DOCS + 1
    # the window, what is left of the oldest document read, and the marks since the last compaction
    assert sum(d["count"] for d in stored) <= 100 + SmallChunks.CHUNK + SmallChunks.MAX_DOCS * 8
