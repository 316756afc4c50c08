"""The processed-events ledger on the real FerretDB: marks are journalled in chunks, another
instance sees them after `refresh()` (what a partition assignment triggers), marking a replay
again is harmless."""

from __future__ import annotations

import uuid

import pytest
from pymongo import AsyncMongoClient

from rsnms_runtime.mongo import ProcessedEvents

pytestmark = pytest.mark.infra


async def test_marks_survive_restarts_reach_other_instances_on_refresh_and_replays_are_harmless(infra, prefix):
    client = AsyncMongoClient(infra.mongodb)
    db = client[f"{prefix}_ledger"]
    entries = [(str(uuid.uuid4()), f"h{n}") for n in range(ProcessedEvents.CHUNK + 10)]
    try:
        mine, other = ProcessedEvents(db), ProcessedEvents(db)
        assert await mine.known([entries[0][0]]) == {}
        assert await other.known([entries[0][0]]) == {}  # loads its index now, before the marks
        await mine.mark(entries)
        await mine.mark(entries[:3])  # a replayed batch marked again
        seen_by_mine = await mine.known(i for i, _ in entries)
        stale = await other.known([entries[0][0]])
        loaded = await other.refresh()
        seen_by_other = await other.known(i for i, _ in entries)
        restarted = await ProcessedEvents(db).known([entries[-1][0], "never-seen"])
        chunks = await db["processed_events"].count_documents({"packed": {"$exists": True}})
    finally:
        await client.drop_database(f"{prefix}_ledger")
        await client.close()
    assert seen_by_mine == seen_by_other == dict(entries)
    assert stale == {} and loaded == len(entries)  # the replayed marks collapse into the same entries
    assert restarted == {entries[-1][0]: entries[-1][1]}
    assert chunks == 3  # two for the first mark (CHUNK + 10 entries), one for the replay
