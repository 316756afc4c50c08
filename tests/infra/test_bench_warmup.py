"""The bench's broker warm-up (`bench.warmup`) against the real broker: records go to a scratch
topic and back through a consumer group for the time given, and the scratch topic is gone
afterwards (no timing is asserted)."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from bench.pipeline import Publisher
from bench.warmup import warm_broker
from tests.conftest import Infra
from tests.support.kafka import eventually

pytestmark = pytest.mark.infra


async def test_records_go_to_a_scratch_topic_and_back_and_the_topic_is_deleted(infra: Infra) -> None:
    name = f"t{uuid.uuid4().hex[:10]}.warmup"
    records = [("rsnms.registry.submitted", b'{"n": %d}' % n, b"k%d" % n, [("event_type", b"X")]) for n in range(500)]
    sender = Publisher(infra.kafka, {})
    await sender.start()
    try:
        warmed = await warm_broker(infra.kafka, sender, records, 2.0, name)
    finally:
        await sender.stop()
    assert warmed.produced >= len(records)
    assert 0 < warmed.consumed <= warmed.produced
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka)
    await admin.start()
    try:

        async def deleted() -> bool:
            return name not in await admin.list_topics()

        await eventually(deleted, timeout=10)
    finally:
        await admin.close()


async def test_no_time_or_no_records_does_nothing(infra: Infra) -> None:
    sender = Publisher(infra.kafka, {})  # never started: nothing is sent
    assert (await warm_broker(infra.kafka, sender, [], 5.0, "never")).produced == 0
    assert (await warm_broker(infra.kafka, sender, [("t", b"v", None, [])], 0.0, "never")).produced == 0
