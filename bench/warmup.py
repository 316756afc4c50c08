"""Warming the bench stack's broker before the clock starts.

A fresh Kafka's JIT compilers (C1, C2) spend about 24 CPU seconds in its first minutes under load;
on the two cores the pipeline bench measures, about 6 of them fell inside the region run's
throughput phase (a third of Kafka's CPU there, docs/benchmarks/pipeline.md, session 11), while
the fold alone, replayed last, met a warm broker. A platform's broker runs for days. The warm-up
drives the requests the services make (idempotent producers sending record batches with keys
and headers, consumer groups fetching as the services do and committing each batch, the offset
lookups of the bench's watch) through scratch topics until the compiler threads go quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from rsnms_runtime.partitioner import KeyPartitioner
from rsnms_runtime.producing import OutRecord, send_batched

COMPILER_THREADS = ("C1 CompilerThre", "C2 CompilerThre")
HEADERS = [("content-type", b"application/json"), ("event_type", b"Warmup"), ("schema_version", b"1")]


def jit_cpu_seconds(pid: int) -> float:
    """CPU time the JVM `pid`'s JIT compiler threads have used (0 once it is gone)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, IndexError):
            if (task / "comm").read_text().strip() in COMPILER_THREADS:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def kafka_pid(env: dict[str, str]) -> int | None:
    with contextlib.suppress(OSError, ValueError, KeyError):
        return int(Path(env["RSNMS_STACK_DIR"], "kafka.pid").read_text())
    return None


async def _produce(kafka: str, topic: str, stop: asyncio.Event) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka, acks="all", enable_idempotence=True, linger_ms=5, max_batch_size=512 * 1024
    )
    await producer.start()
    partitioner, n = KeyPartitioner(), 0
    try:
        while not stop.is_set():
            window: list[OutRecord] = []
            for _ in range(2000):
                n += 1
                value = b'{"n":%d,"text":"%s"}' % (n, b"x" * (200 + n % 1200))
                window.append((topic, value, b"educator-%d" % (n % 20000), HEADERS))
            await asyncio.gather(*await send_batched(producer, partitioner, window))
    finally:
        await producer.stop()


async def _relay(kafka: str, source: str, target: str | None, group: str, stop: asyncio.Event) -> None:
    """A consumer group as a service reads (and, with a `target`, what it publishes per batch)."""
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=kafka,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=25,
        fetch_min_bytes=65536,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka, acks="all", enable_idempotence=True, linger_ms=5, max_batch_size=512 * 1024
    )
    await consumer.start()
    await producer.start()
    partitioner = KeyPartitioner()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=100, max_records=500)
            records = [r for rs in batch.values() for r in rs]
            if target and records:
                out: list[OutRecord] = [(target, r.value, r.key, HEADERS) for r in records]
                await asyncio.gather(*await send_batched(producer, partitioner, out))
            if records:
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


async def _watch(kafka: str, groups: list[str], topics: list[str], stop: asyncio.Event) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    probe = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await admin.start()
    await probe.start()
    try:
        while not stop.is_set():
            for group in groups:
                with contextlib.suppress(Exception):
                    offsets = await admin.list_consumer_group_offsets(group)
                    await probe.end_offsets(list(offsets))
            await asyncio.sleep(0.25)
    finally:
        await probe.stop()
        await admin.close()


async def warm_broker(
    kafka: str, env: dict[str, str], least: float = 20, most: float = 150, quiet: float = 0.2
) -> dict[str, Any]:
    """Load through scratch topics for at least `least` seconds, until the JIT compiler threads
    used at most `quiet` CPU seconds in the last 5 (at most `most` seconds); what it took."""
    pid = kafka_pid(env)
    prefix = f"bench.warmup.{int(time.time())}"
    topics = [f"{prefix}.in", f"{prefix}.out"]
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, num_partitions=6, replication_factor=1) for t in topics])
    finally:
        await admin.close()
    stop = asyncio.Event()
    groups = [f"{prefix}.relay", f"{prefix}.sink"]
    tasks = [
        asyncio.create_task(_produce(kafka, topics[0], stop)),
        asyncio.create_task(_relay(kafka, topics[0], topics[1], groups[0], stop)),
        asyncio.create_task(_relay(kafka, topics[1], None, groups[1], stop)),
        asyncio.create_task(_watch(kafka, groups, topics, stop)),
    ]
    started = time.monotonic()
    jit_start = jit_cpu_seconds(pid) if pid else 0.0
    history = [(started, jit_start)]
    try:
        while time.monotonic() - started < most:
            await asyncio.sleep(1)
            if any(t.done() for t in tasks):
                break
            now = (time.monotonic(), jit_cpu_seconds(pid) if pid else 0.0)
            history.append(now)
            window = [h for h in history if h[0] >= now[0] - 5]
            if now[0] - started >= least and window[-1][1] - window[0][1] <= quiet:
                break
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
        await admin.start()
        try:
            await admin.delete_topics(topics)
        finally:
            await admin.close()
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise RuntimeError("the broker's warm-up failed") from task.exception()
    return {"seconds": time.monotonic() - started, "jit_cpu_seconds": history[-1][1] - jit_start}
