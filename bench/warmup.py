"""Warming a fresh broker before a bench's clock starts.

A bench's private stack is seconds old when a run begins, and Kafka's JVM compiles its hot
paths (HotSpot's JIT) for minutes once traffic arrives: in a region run that was 30-60 µs of
the broker's 70-130 µs of CPU per inbound event (docs/benchmarks/pipeline.md, sessions 11, 18
and 19). A broker that has been up for days compiled those paths long ago. Here records like
the platform's (events of a generated region, encoded, signed, with their headers) go to a
scratch topic and back through a consumer group that commits after each batch and fetches as
the services do (`RSNMS_FETCH_MAX_WAIT_MS`, `RSNMS_FETCH_MIN_BYTES`), until the time given is
spent: for two thirds of it as fast as they can go (as in a feed), then one by one at a
sustained rate while the group's committed offsets are read every 10 ms (as in the latency
phase, where small produce requests and fetches held at the broker take other paths). The
scratch topic is deleted afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from rsnms_runtime.producing import OutRecord
from rsnms_runtime.settings import Settings

#: records handed to the publisher at a time in the burst (its window: their acks are awaited)
WINDOW = 2000
#: the share of the time spent sending as fast as possible; the rest goes one by one at `RATE`/s
BURST_SHARE = 2 / 3
RATE = 500
#: how often the group's committed offsets are read while records go one by one (as the bench's
#: latency phase does)
POLL_S = 0.01


class Sender(Protocol):
    """What the warm-up sends with: the bench's outside systems' publisher (`bench.pipeline.Publisher`)."""

    async def publish_records(self, records: Iterable[OutRecord]) -> int: ...
    async def send_record(self, record: OutRecord) -> Any: ...


@dataclass(frozen=True)
class Warmed:
    seconds: float
    produced: int
    consumed: int


async def warm_broker(
    kafka: str, sender: Sender, records: Sequence[OutRecord], seconds: float, name: str, partitions: int = 3
) -> Warmed:
    """Send `records` (with `sender`, started) again and again to the scratch topic `name` while a
    consumer group of the same name reads them back and commits, for `seconds`; then delete the
    topic."""
    started = time.monotonic()
    if seconds <= 0 or not records:
        return Warmed(0.0, 0, 0)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
        settings = Settings(service="bench")
        consumer = AIOKafkaConsumer(
            name,
            bootstrap_servers=kafka,
            group_id=name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=settings.fetch_max_wait_ms,
            fetch_min_bytes=settings.fetch_min_bytes,
        )
        await consumer.start()
        deadline = started + seconds
        burst_until = started + seconds * BURST_SHARE
        reading = asyncio.create_task(_read_back(consumer, deadline))
        polling: asyncio.Task[None] | None = None
        try:
            retargeted = [(name, value, key, headers) for _topic, value, key, headers in records]
            produced = await _burst(sender, retargeted, burst_until)
            polling = asyncio.create_task(_poll_committed(admin, name, deadline))
            produced += await _one_by_one(sender, retargeted, deadline)
            consumed = await reading
            await polling
        finally:
            for task in (reading, polling):
                if task is not None and not task.done():
                    task.cancel()
            await asyncio.gather(reading, *([polling] if polling else []), return_exceptions=True)
            await consumer.stop()
        with contextlib.suppress(Exception):  # a scratch topic left behind is harmless
            await admin.delete_topics([name])
    finally:
        await admin.close()
    return Warmed(time.monotonic() - started, produced, consumed)


async def _burst(sender: Sender, records: Sequence[OutRecord], until: float) -> int:
    """The records again and again, a window at a time, until `until`."""
    sent = 0
    while time.monotonic() < until:
        for i in range(0, len(records), WINDOW):
            sent += await sender.publish_records(records[i : i + WINDOW])
            if time.monotonic() >= until:
                return sent
    return sent


async def _one_by_one(sender: Sender, records: Sequence[OutRecord], until: float) -> int:
    """The records one at a time at `RATE`/s until `until`; their acks awaited at the end."""
    started, acks = time.monotonic(), list[asyncio.Future[Any]]()
    while time.monotonic() < until:
        acks.append(await sender.send_record(records[len(acks) % len(records)]))
        await asyncio.sleep(max(0.0, started + len(acks) / RATE - time.monotonic()))
    await asyncio.gather(*acks)
    return len(acks)


async def _poll_committed(admin: AIOKafkaAdminClient, group: str, until: float) -> None:
    while time.monotonic() < until:
        await admin.list_consumer_group_offsets(group)
        await asyncio.sleep(POLL_S)


async def _read_back(consumer: AIOKafkaConsumer, deadline: float) -> int:
    consumed = 0
    while time.monotonic() < deadline:
        batch = await consumer.getmany(timeout_ms=100, max_records=5000)
        if batch:
            consumed += sum(len(records) for records in batch.values())
            await consumer.commit()
    return consumed
