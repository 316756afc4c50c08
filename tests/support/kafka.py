"""Reading topics directly in tests (no consumer group), waiting for conditions, and a service
running in-process with an outside system publishing to it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker

from rsnms_runtime.partitions import topic_partitions


async def read_topic(bootstrap: str, topic: str, timeout: float = 5.0) -> list[Any]:
    """Every record currently in `topic`, from the beginning of each partition."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        while True:
            tps = await topic_partitions(bootstrap, [topic])
            if tps or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.2)
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[Any] = []

        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in tps])

        while await behind():
            if time.monotonic() > deadline + 30:
                raise TimeoutError(f"reading {topic} took too long")
            batch = await consumer.getmany(timeout_ms=500)
            for recs in batch.values():
                records.extend(recs)
        return records
    finally:
        await consumer.stop()


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 30.0, interval: float = 0.25) -> Any:
    """Poll `check` until it returns a truthy value; fail with its last value after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


async def consumer_groups(bootstrap: str, prefix: str) -> list[str]:
    """The consumer groups whose names start with `<prefix>.` (the platform's, under a test prefix)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return sorted(g[0] for g in await admin.list_consumer_groups() if g[0].startswith(f"{prefix}."))
    finally:
        await admin.close()


async def rewind_groups(bootstrap: str, groups: list[str]) -> dict[str, int]:
    """Commit the earliest offset of every partition each (stopped) group has read; how many
    messages each group will read again."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.structs import OffsetAndMetadata

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    again: dict[str, int] = {}
    try:
        for group in groups:
            offsets = await admin.list_consumer_group_offsets(group)
            rewind = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
            await rewind.start()
            try:
                rewind.assign(list(offsets))  # commit needs partitions (manual assignment, no join)
                begin = await rewind.beginning_offsets(list(offsets))
                await rewind.commit({tp: OffsetAndMetadata(begin[tp], "") for tp in offsets})
            finally:
                await rewind.stop()
            again[group] = sum(meta.offset - begin[tp] for tp, meta in offsets.items())
    finally:
        await admin.close()
    return again


async def republish(bootstrap: str, records: list[Any]) -> None:
    """Publish records again exactly as they were: topic, partition, key, value and headers."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = [
            await producer.send(r.topic, r.value, key=r.key, partition=r.partition, headers=list(r.headers or ()))
            for r in records
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


@asynccontextmanager
async def serving(runtime: Any, bootstrap: str) -> AsyncIterator[KafkaBroker]:
    """Start a service runtime in-process and a broker that publishes to it as an outside system
    would; stop both afterwards (the source first)."""
    await runtime.start()
    source = KafkaBroker(bootstrap)
    await source.start()
    try:
        yield source
    finally:
        await source.stop()
        await runtime.stop()


def events_of(records: list[Any]) -> list[Any]:
    """The events among `records` (a shared topic may also hold what tests published to be refused,
    e.g. tests/infra/test_poison.py's oversized messages)."""
    from contracts import ContractError, decode_event

    found = []
    for record in records:
        try:
            found.append(decode_event(record.value))
        except ContractError:
            continue
    return found
