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
