"""Bad input on the real broker, beyond what test_foundation covers (malformed JSON, a wrong
type): an event id re-used with other content (a conflict, across batches and within one),
an oversized message, a missing key, an unknown event type (also one that is not a string), an
unknown schema version (also `true`), a non-event and an event on the wrong topic. Each is
dead-lettered with its kind, reason and original bytes, none is applied, and a valid event
behind them on the same partition is."""

from __future__ import annotations

import json

import pytest
from pymongo import AsyncMongoClient

from contracts import DeadLetter, DiagnosticResult, DiagnosticResultSubmitted, Topic
from contracts.codec import MAX_EVENT_BYTES
from rsnms_runtime.kafka import EventPublisher
from services.registry.adapters.store import RegistryStore
from services.registry.entrypoints.app import build
from tests.support.factories import educator_registered, region_code
from tests.support.kafka import events_of, eventually, read_topic, serving

pytestmark = pytest.mark.infra
SUBMITTED = str(Topic.REGISTRY_SUBMITTED)


def _doc(event) -> dict:
    return json.loads(event.to_bytes())


def _bytes(doc: dict) -> bytes:
    return json.dumps(doc).encode()


async def test_bad_input_is_dead_lettered_never_applied_and_never_blocks(infra, prefix):
    region = region_code()
    async with (
        serving(build(infra.settings("registry", prefix), gate=None), infra.kafka) as source,
        AsyncMongoClient(infra.mongodb) as mongo,
    ):
        educators = RegistryStore(mongo[f"{prefix}_registry"])
        first = educator_registered(region, birth_year=1980)
        await EventPublisher(source).publish_all([first], inbound=True)
        assert await eventually(lambda: educators.entity("educators", region, first.key))

        # a later delivery of the same event id with other content (another batch)
        across = _doc(first)
        across["payload"]["birth_year"] = 1990
        # two new events with one id and different contents in one burst (likely one batch)
        twin = educator_registered(region, birth_year=1985)
        twin_changed = _doc(twin)
        twin_changed["payload"]["role"] = "manager"
        missing = _doc(educator_registered(region))
        del missing["payload"]["role"]
        unknown_type = _doc(educator_registered(region)) | {"event_type": "EducatorPromoted"}
        unknown_version = _doc(educator_registered(region)) | {"schema_version": 99}
        oversized = _doc(educator_registered(region))
        oversized["padding"] = "x" * (MAX_EVENT_BYTES + 1)
        wrong_topic = DiagnosticResultSubmitted.create(
            DiagnosticResult(
                session_id="s-1",
                educator_id=twin.key,
                role="teacher",
                kind="initial",
                taken_on=first.payload.registered_on,
                scores={"c": 50.0},
                conducted_by="cnppm",
            ),
            source="assessment-test",
            region=region,
        )
        after = educator_registered(region, birth_year=1970)

        # all on the partition of `after`, which must still be applied behind them
        key = after.key.encode()
        bad = {
            "conflict-across": _bytes(across),
            "twin": twin.to_bytes(),
            "conflict-within": _bytes(twin_changed),
            "invalid": _bytes(missing),
            "unknown_event_type": _bytes(unknown_type),
            # not a string: once raised TypeError, so the batch was handed back for ever
            "unknown_event_type-list": _bytes(_doc(educator_registered(region)) | {"event_type": []}),
            "unknown_schema_version-true": _bytes(_doc(educator_registered(region)) | {"schema_version": True}),
            "unknown_schema_version": _bytes(unknown_version),
            "oversized": _bytes(oversized),
            "not_an_event": b"[1, 2, 3]",
            "wrong_topic": wrong_topic.to_bytes(),
        }
        assert len(bad["oversized"]) > MAX_EVENT_BYTES
        for value in bad.values():
            await source.publish(value, topic=SUBMITTED, key=key)
        await EventPublisher(source).publish_all([after], inbound=True)

        assert await eventually(lambda: educators.entity("educators", region, after.key), timeout=60)

        originals = {v: name for name, v in bad.items() if name != "twin"}

        async def letters():
            found = [
                DeadLetter.model_validate_json(r.value) for r in await read_topic(infra.kafka, str(Topic.DEAD_LETTER))
            ]
            mine = {originals[d.original]: d for d in found if d.consumer == "registry" and d.original in originals}
            return mine if len(mine) == len(originals) else None

        dead = await eventually(letters, timeout=60)

        for name, letter in dead.items():
            expected = name.split("-")[0]
            assert letter.error_kind == expected, (name, letter.error)
            assert letter.topic == SUBMITTED and letter.key == after.key and letter.error
        assert str(first.event_id) in dead["conflict-across"].error
        assert "different content" in dead["conflict-across"].error
        assert dead["conflict-across"].event_id == str(first.event_id)
        assert dead["conflict-within"].event_id == str(twin.event_id)
        assert "role" in dead["invalid"].error
        assert "EducatorPromoted" in dead["unknown_event_type"].error
        assert "99" in dead["unknown_schema_version"].error
        assert str(MAX_EVENT_BYTES) in dead["oversized"].error and dead["oversized"].original == bad["oversized"]
        assert "DiagnosticResultSubmitted" in dead["wrong_topic"].error

        # never applied: the stored state and the re-published facts have the first contents only
        stored = await educators.entity("educators", region, first.key)
        assert stored["data"]["birth_year"] == 1980
        stored_twin = await educators.entity("educators", region, twin.key)
        assert stored_twin["data"]["role"] == "teacher"
        facts = events_of(await read_topic(infra.kafka, str(Topic.REGISTRY_FACTS)))
        facts = [e for e in facts if e.region == region]
        assert {e.event_id: e.content_hash() for e in facts} == {
            e.event_id: e.content_hash() for e in (first, twin, after)
        }
        assert len(facts) == 3
