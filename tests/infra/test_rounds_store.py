"""The rounds' store on the real FerretDB: a round's head (what late detection reads every second)
is its latest version's, whatever order racing writers reach it in, and late events a version
includes can be forgotten one by one."""

from __future__ import annotations

import asyncio

import pytest
from pymongo import AsyncMongoClient

from contracts import KafkaPosition, LateEvent
from services.indicators.adapters.rounds_store import MongoRoundsStore

pytestmark = pytest.mark.infra
R = "RU-TST"


def at(offset: int) -> list[KafkaPosition]:
    return [KafkaPosition(topic="rsnms.registry.facts", partition=0, offset=offset)]


def late(offset: int) -> LateEvent:
    return LateEvent.model_validate(
        {
            "event_id": f"e{offset}",
            "event_type": "EducatorRegistered",
            "topic": "rsnms.registry.facts",
            "partition": 0,
            "offset": offset,
            "dated": "2024-03-01",
        }
    )


async def test_heads_are_the_latest_versions_and_late_events_are_forgotten(infra, prefix):
    client = AsyncMongoClient(infra.mongodb)
    try:
        store = MongoRoundsStore(client[f"{prefix}_rounds"])
        await store.ensure_indexes()
        await store.add_head(R, "2024-2", 1, at(10))
        await store.add_head(R, "2024-2", 3, at(30))
        await store.add_head(R, "2024-2", 2, at(20))  # a slower writer of an older version
        await store.add_head(R, "2024-2", 3, at(30))  # the same again
        await store.add_head(R, "2025-2", 1, at(5))
        # racing writers of a round without a head yet: the latest wins whoever inserts first
        await asyncio.gather(*(store.add_head(R, "2026-2", v, at(v)) for v in (2, 5, 1, 4, 3)))
        heads = await store.heads()

        await store.add_late([(R, "2024-2", late(n)) for n in (31, 32, 33)])
        await store.drop_late([(R, "2024-2", late(31)), (R, "2024-2", late(33))])
        left = await store.late()
    finally:
        await client.close()
    assert heads == {(R, "2024-2"): (3, at(30)), (R, "2025-2"): (1, at(5)), (R, "2026-2"): (5, at(5))}
    assert left == [(R, "2024-2", late(32))]
