"""A batch fetched before a rebalance is not applied by the instance that lost its partitions: a
revocation between two batches (nothing in flight to wait for) makes the next batch handed back,
its partitions still assigned rewound to its first records, so whoever owns them now reads them
from the committed offsets: no batch applied by two instances."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from aiokafka.structs import TopicPartition

from rsnms_runtime.consumer import BatchConsumer
from rsnms_runtime.kafka import rewind


def _consumer() -> BatchConsumer:
    return BatchConsumer("revocation", handler=None, publisher=None, ledger=None)  # type: ignore[arg-type]


async def test_a_revocation_between_batches_hands_the_next_batch_back_once():
    consumer = _consumer()
    await consumer.revoked(set())  # a first join revokes nothing
    assert not consumer.fetched_before_revocation()
    await consumer.revoked({TopicPartition("t", 0)})
    assert consumer.fetched_before_revocation()
    assert not consumer.fetched_before_revocation()  # once per revocation


async def test_a_revocation_during_a_batch_waits_for_it_and_does_not_hand_back_the_next():
    consumer = _consumer()
    consumer.batch_started(None)
    revoking = asyncio.create_task(consumer.revoked({TopicPartition("t", 0)}))
    await asyncio.sleep(0.01)
    assert not revoking.done()  # the batch in flight commits first
    consumer.batch_done()
    await asyncio.wait_for(revoking, 1)
    assert not consumer.fetched_before_revocation()


class _KafkaConsumer:
    def __init__(self, assigned: set[TopicPartition]):
        self._assigned = assigned
        self.seeks: list[tuple[TopicPartition, int]] = []

    def assignment(self) -> set[TopicPartition]:
        return self._assigned

    def seek(self, tp: TopicPartition, offset: int) -> None:
        assert tp in self._assigned, "aiokafka refuses to seek a partition not assigned"
        self.seeks.append((tp, offset))


def test_rewind_seeks_the_partitions_still_assigned_to_their_first_record_in_the_batch():
    records = [SimpleNamespace(topic="t", partition=p, offset=o) for p, o in ((0, 7), (1, 3), (0, 5), (2, 9), (1, 4))]
    kafka = _KafkaConsumer({TopicPartition("t", 0), TopicPartition("t", 1)})
    rewind(kafka, records)
    assert sorted(kafka.seeks) == [(TopicPartition("t", 0), 5), (TopicPartition("t", 1), 3)]


async def test_what_went_through_a_batch_is_published_per_partition_and_forgotten_on_assignment():
    import pytest

    from contracts import Topic
    from rsnms_runtime.consumer import ConsumerOptions, Outcome
    from rsnms_runtime.faults import RetryPolicy
    from tests.support.factories import educator_registered
    from tests.support.publisher import RecordingPublisher
    from tests.unit.test_content_hash import FakeLedger

    fail = False

    async def handler(batch):
        if fail:
            raise ConnectionError("the database is down")
        return Outcome()

    consumer = BatchConsumer(
        "published",
        handler,
        RecordingPublisher(),  # type: ignore[arg-type]
        FakeLedger({}),  # type: ignore[arg-type]
        options=ConsumerOptions(retries=RetryPolicy(attempts=1)),
        probe=lambda: asyncio.sleep(0, result=not fail),  # the infrastructure is down while it fails
    )
    topic = str(Topic.REGISTRY_FACTS)

    def records(partition: int, *offsets: int) -> list[SimpleNamespace]:
        events = [educator_registered("RU-YEV", 100 * partition + o) for o in offsets]
        return [
            SimpleNamespace(
                topic=topic, partition=partition, offset=o, key=e.key.encode(), value=e.to_bytes(), headers=[]
            )
            for o, e in zip(offsets, events, strict=True)
        ]

    await consumer.process(records(0, 3, 4) + records(1, 7))
    assert consumer.published == {(topic, 0): 5, (topic, 1): 8}
    fail = True  # handed back (the infrastructure is down): nothing of it went through
    with pytest.raises(ConnectionError):
        await consumer.process(records(0, 5, 6) + records(2, 1))
    assert consumer.published == {(topic, 0): 5, (topic, 1): 8}
    published = consumer.published
    await consumer.assigned({TopicPartition(topic, 0)})
    assert published == {}  # the same live view, emptied: the next owner's batches say it again
