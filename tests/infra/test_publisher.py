"""The publisher streams any number of events with back-pressure (issue 13 item 3): 30,000 events
from a generator go out through `EventPublisher.publish_all` with a bounded number in flight, all
acknowledged by the real broker (gathering them all at once timed out after about 8,300)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker

from contracts import Event
from rsnms_runtime.kafka import EventPublisher, ensure_topics
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
