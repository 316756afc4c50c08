"""The foundation against the real parts: a FastStream service consuming from the real
Kafka broker, storing in the real FerretDB server, re-publishing with pydantic
contracts, and dead-lettering bad input with a clear reason."""

from __future__ import annotations

import json

import pytest
from pymongo import AsyncMongoClient

from contracts import DeadLetter, Topic, decode_event
from rsnms_runtime.kafka import EventPublisher
from services.registry.adapters.store import RegistryStore
from services.registry.entrypoints.app import build
from tests.support.factories import educator_registered, region_code
from tests.support.kafka import events_of, eventually, read_topic, serving

pytestmark = pytest.mark.infra


async def test_round_trip_through_kafka_and_ferretdb_with_dead_letters(infra, prefix):
    region = region_code()
    async with (
        serving(build(infra.settings("registry", prefix)), infra.kafka) as source,
        AsyncMongoClient(infra.mongodb) as mongo,
    ):
        good = educator_registered(region, 1)
        bad_type = json.loads(educator_registered(region, 2).to_bytes())
        bad_type["payload"]["birth_year"] = "nineteen ninety"
        await EventPublisher(source).publish_all([good], inbound=True)
        await source.publish(b'{"event_type": "EducatorRegistered", ', topic=str(Topic.REGISTRY_SUBMITTED), key=b"x")
        await source.publish(json.dumps(bad_type).encode(), topic=str(Topic.REGISTRY_SUBMITTED), key=b"y")

        stored = RegistryStore(mongo[f"{prefix}_registry"])
        doc = await eventually(lambda: stored.entity("educators", region, good.key))
        assert doc["revision"] == 1 and doc["data"]["role"] == "teacher"

        async def republished():
            records = await read_topic(infra.kafka, str(Topic.REGISTRY_FACTS))
            return [r for r in records if [e.region for e in events_of([r])] == [region]]

        facts = await eventually(republished)
        assert [decode_event(r.value) for r in facts] == [good]
        assert facts[0].key == good.key.encode()

        async def letters():
            found = [
                DeadLetter.model_validate_json(r.value) for r in await read_topic(infra.kafka, str(Topic.DEAD_LETTER))
            ]
            return (
                [d for d in found if d.consumer == "registry" and d.key in ("x", "y")]
                if len([d for d in found if d.key in ("x", "y")]) >= 2
                else None
            )

        dead = {d.key: d for d in await eventually(letters)}
        assert dead["x"].error_kind == "malformed_json"
        assert dead["x"].original == b'{"event_type": "EducatorRegistered", '
        assert dead["y"].error_kind == "invalid" and "birth_year" in dead["y"].error
        assert json.loads(dead["y"].original) == bad_type
