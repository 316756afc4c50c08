"""Handing many records to aiokafka's producer at once, as record batches it sends as they are.

`AIOKafkaProducer.send` costs about 25 µs of client CPU per record (a future, a partition lookup
and a batch append each); a record appended to a batch builder that is then sent whole costs
about 9 µs, and the broker gets the same record batches (docs/decisions/runtime-costs.md).
Records are partitioned as `send` partitions them, with the producers' `KeyPartitioner`, so an
entity's events stay on one partition and in order whichever way they were sent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from rsnms_runtime.partitioner import KeyPartitioner

#: (topic, value, key, headers) of one record
OutRecord = tuple[str, bytes, bytes | None, list[tuple[str, bytes]]]


async def send_batched(
    producer: Any, partitioner: KeyPartitioner, records: Iterable[OutRecord]
) -> list[asyncio.Future[Any]]:
    """Append `records` to one batch builder per partition (a full builder is sent and a new one
    started) and send the builders; the futures of their acks, in the order sent. A record larger
    than a batch goes alone; one larger than the broker accepts fails its batch's future."""
    partitions: dict[str, list[int]] = {}
    builders: dict[tuple[str, int], Any] = {}
    futures: list[asyncio.Future[Any]] = []
    for topic, value, key, headers in records:
        known = partitions.get(topic)
        if known is None:
            known = partitions[topic] = sorted(await producer.partitions_for(topic))
        partition = partitioner(key, known, known)
        builder = builders.get((topic, partition))
        if builder is None:
            builder = builders[topic, partition] = producer.create_batch()
        if builder.append(key=key, value=value, timestamp=None, headers=headers) is None:
            futures.append(await producer.send_batch(builder, topic, partition=partition))
            builder = builders[topic, partition] = producer.create_batch()
            builder.append(key=key, value=value, timestamp=None, headers=headers)
    for (topic, partition), builder in builders.items():
        futures.append(await producer.send_batch(builder, topic, partition=partition))
    return futures
