"""A refused event is dead-lettered with its reason; after the fix an operator re-drives it
and it is applied exactly once, however often the re-drive is repeated."""

from __future__ import annotations

import pytest
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from contracts import Topic
from rsnms_runtime.cli import read_dead_letters, redrive
from rsnms_runtime.kafka import EventPublisher
from rsnms_runtime.sources import Grant, SourceGate
from services.registry.adapters.store import RegistryStore
from services.registry.entrypoints.app import build
from tests.support.factories import educator_registered, region_code
from tests.support.kafka import events_of, eventually, read_topic

pytestmark = pytest.mark.infra
KEY = b"k" * 32


def _gate(events: set[str], region: str) -> SourceGate:
    return SourceGate({"cnppm-test": KEY}, {"cnppm-test": Grant(frozenset(events), frozenset({region}))})


async def _facts(infra, event_id):
    records = await read_topic(infra.kafka, str(Topic.REGISTRY_FACTS))
    return [r for r in records if [e.event_id for e in events_of([r])] == [event_id]]


async def test_redrive_after_fix_applies_exactly_once(infra, prefix):
    region = region_code()
    settings = infra.settings("registry", prefix)
    ops = infra.settings("ops", prefix)
    event = educator_registered(region, 5)
    source = KafkaBroker(infra.kafka)
    await source.start()

    runtime = build(settings, gate=_gate({"ProgramRegistered"}, region))
    await runtime.start()
    try:
        await EventPublisher(source, keys={"cnppm-test": KEY}).publish_all([event], inbound=True)

        async def letter():
            found = [(p, o, d) for p, o, d in await read_dead_letters(ops) if d.event_id == str(event.event_id)]
            return found[0] if found else None

        partition, offset, dead = await eventually(letter)
        assert dead.error_kind == "unauthorized" and "may not publish EducatorRegistered" in dead.error
        assert dead.original_headers["rsnms-source"] == "cnppm-test"
    finally:
        await runtime.stop()

    fixed = build(settings, gate=_gate({"ProgramRegistered", "EducatorRegistered"}, region))
    await fixed.start()
    mongo = AsyncMongoClient(infra.mongodb)
    try:
        ref = f"{partition}:{offset}"
        assert await redrive(ops, [ref]) == [ref]
        assert await redrive(ops, [ref]) == []  # recorded: a second re-drive sends nothing
        doc = await eventually(
            lambda: RegistryStore(mongo[f"{prefix}_registry"]).entity("educators", region, event.key)
        )
        assert doc["revision"] == 1
        assert len(await eventually(lambda: _facts(infra, event.event_id))) == 1

        # even a copy sent again behind the operator's back is recognised and not re-applied
        await EventPublisher(source, keys={"cnppm-test": KEY}).publish_all([event], inbound=True)
        marker = educator_registered(region, 5, revision=2)  # same key: same partition, after the copy
        await EventPublisher(source, keys={"cnppm-test": KEY}).publish_all([marker], inbound=True)
        await eventually(lambda: _facts(infra, marker.event_id))
        assert len(await _facts(infra, event.event_id)) == 1
    finally:
        await fixed.stop()
        await source.stop()
        await mongo.close()
