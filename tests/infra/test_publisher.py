"""The publisher streams any number of events with back-pressure (issue 13 item 3): 30,000 events
from a generator go out through `EventPublisher.publish_all` with a bounded number in flight, all
acknowledged by the real broker (gathering them all at once timed out after about 8,300); what a
batch emits goes out as record batches, partitioned and ordered as one send at a time would."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from faststream.kafka import KafkaBroker

from contracts import Event, IndicatorsPublished, IndicatorTable, IndicatorValue
from rsnms_runtime.kafka import MAX_MESSAGE_BYTES, EventPublisher, ensure_topics, make_broker
from rsnms_runtime.partitioner import KeyPartitioner
from rsnms_runtime.producing import send_batched
from tests.support.factories import educator_registered, region_code

pytestmark = pytest.mark.infra
COUNT = 30_000


async def test_publish_all_streams_30000_events_from_a_generator(infra, prefix):
    topic = f"rsnms.test.stream.{prefix}"
    await ensure_topics(infra.settings("ops", prefix), [topic], partitions=3)
    region = region_code()
    made = 0

    def events() -> Iterator[Event]:
        nonlocal made
        for n in range(COUNT):
            made += 1
            yield educator_registered(region, n)

    broker = KafkaBroker(infra.kafka)
    await broker.start()
    try:
        sent = await EventPublisher(broker).publish_all(events(), window=1000, topic=topic)
    finally:
        await broker.stop()
    assert sent == made == COUNT

    consumer = AIOKafkaConsumer(bootstrap_servers=infra.kafka)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(3)]
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    assert sum(ends.values()) == COUNT


async def test_a_live_table_over_a_megabyte_is_published_and_read_back(infra, prefix):
    """A large region's `IndicatorsPublished` (values down to each of ~1,200 schools) is over
    Kafka's default 1 MB: the platform's producer and topics take up to `MAX_MESSAGE_BYTES`, and a
    consumer with aiokafka's default fetch sizes reads it."""
    topic = f"rsnms.test.large.{prefix}"
    settings = infra.settings("indicators", prefix)
    await ensure_topics(settings, [topic], partitions=1)
    region = region_code()
    values = tuple(
        IndicatorValue(
            indicator=indicator,
            scope_kind="organization",
            scope_id=f"sch-{n:05d}-{'x' * 24}",
            numerator=n,
            denominator=n + 1,
            value=n / (n + 1),
        )
        for n in range(1_300)
        for indicator in ("I1", "I2", "I3", "I4", "I5", "I6", "E1", "E2")
    )
    table = IndicatorTable(region=region, as_of=date(2026, 1, 1), computed_at=datetime.now(UTC), values=values)
    event = IndicatorsPublished.create(table, source="rsnms-indicators", region=region)
    assert len(event.to_bytes()) > 1024 * 1024
    broker = make_broker(settings)
    await broker.start()
    try:
        await EventPublisher(broker).publish(event, topic=topic)
    finally:
        await broker.stop()

    consumer = AIOKafkaConsumer(bootstrap_servers=infra.kafka, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        got = await consumer.getone()
    finally:
        await consumer.stop()
    # over the inbound limit (`MAX_EVENT_BYTES`): its readers decode it as the portal's feed does
    assert IndicatorsPublished.model_validate_json(got.value) == event


async def test_an_existing_topic_below_the_limit_has_it_raised_and_keeps_its_other_settings(infra, prefix):
    """Topics created before the platform set `max.message.bytes` (or by hand with Kafka's
    default) would refuse a large region's table: `ensure_topics` raises the limit in place."""
    topic = f"rsnms.test.old.{prefix}"
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka)
    await admin.start()
    try:
        old = {"max.message.bytes": "1048588", "retention.ms": "604800000"}
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1, topic_configs=old)])
        await ensure_topics(infra.settings("ops", prefix), [topic], partitions=1)
        await ensure_topics(infra.settings("ops", prefix), [topic], partitions=1)  # nothing left to raise
        (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    values = {e[0]: e[1] for e in response.resources[0][4]}
    assert values["max.message.bytes"] == str(MAX_MESSAGE_BYTES)
    assert values["retention.ms"] == "604800000"


async def test_records_sent_in_batches_land_where_send_puts_them_in_order(infra, prefix):
    """`send_batched` (what a batch's output goes out with): every record on the partition the
    producers' `KeyPartitioner` gives its key, an entity's records in the order given, a record
    larger than a record batch sent alone, each once."""
    topic = f"rsnms.test.batched.{prefix}"
    await ensure_topics(infra.settings("ops", prefix), [topic], partitions=3)
    partitioner = KeyPartitioner()
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka, acks="all", enable_idempotence=True, max_batch_size=64 * 1024
    )
    records = [
        (topic, (b"x" * 100_000 if n == 1_000 else b"%d" % n), b"key-%d" % (n % 37), [("n", b"%d" % n)])
        for n in range(3_000)
    ]
    await producer.start()
    try:
        futures = await send_batched(producer, partitioner, records)
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    assert len(futures) > 3  # full builders went out as they filled

    consumer = AIOKafkaConsumer(bootstrap_servers=infra.kafka, auto_offset_reset="earliest")
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(3)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        got: list = []
        while len(got) < sum(ends.values()):
            for batch in (await consumer.getmany(timeout_ms=1000)).values():
                got.extend(batch)
    finally:
        await consumer.stop()
    assert sorted(int(dict(r.headers)["n"]) for r in got) == list(range(3_000))
    for r in got:
        assert r.partition == partitioner(r.key, [0, 1, 2], [0, 1, 2])
    by_key: dict[bytes, list[int]] = {}
    for r in sorted(got, key=lambda r: (r.partition, r.offset)):
        by_key.setdefault(r.key, []).append(int(dict(r.headers)["n"]))
    assert all(ns == sorted(ns) for ns in by_key.values())
    assert len(next(r for r in got if int(dict(r.headers)["n"]) == 1_000).value) == 100_000
