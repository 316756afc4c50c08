"""Prometheus metrics scraped from a running service's /metrics: the consumer lag per
partition follows a real backlog while the handler is blocked and falls back to 0 once it
is drained; processed, dead-lettered and failed-batch counters and the batch latency
histogram move with what the service did."""

from __future__ import annotations

import asyncio
import urllib.request

import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker
from prometheus_client.parser import text_string_to_metric_families

from contracts import Topic
from rsnms_runtime.kafka import EventPublisher, Incoming, Outcome
from rsnms_runtime.localstack import free_port as _free_port
from rsnms_runtime.partitions import topic_partitions
from rsnms_runtime.service import ServiceRuntime
from tests.support.factories import educator_registered, region_code
from tests.support.kafka import eventually

pytestmark = pytest.mark.infra
TOPIC = str(Topic.REGISTRY_SUBMITTED)


class GatedHandler:
    """A use case that waits while the gate is closed and fails once on a chosen event."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.open.set()
        self.waiting = asyncio.Event()
        self.fail_once: set[str] = set()

    async def __call__(self, batch: list[Incoming]) -> Outcome:
        if not self.open.is_set():
            self.waiting.set()
            await self.open.wait()
        poison = self.fail_once & {str(i.event.event_id) for i in batch}
        if poison:
            self.fail_once -= poison
            raise ConnectionError("injected transient failure")
        return Outcome()


async def _scrape(port: int, service: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The samples of `service` on its /metrics page, by (name, other labels)."""

    def get() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            return r.read().decode()

    samples = {}
    for family in text_string_to_metric_families(await asyncio.to_thread(get)):
        for s in family.samples:
            if s.labels.get("service") == service:
                samples[(s.name, tuple(sorted((k, v) for k, v in s.labels.items() if k != "service")))] = s.value
    return samples


def _lag(samples: dict) -> dict[int, float]:
    return {
        int(dict(labels)["partition"]): v
        for (name, labels), v in samples.items()
        if name == "rsnms_consumer_lag" and dict(labels)["topic"] == TOPIC
    }


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def _end_offsets(bootstrap: str) -> dict[int, int]:
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await probe.start()
    try:
        tps = await topic_partitions(bootstrap, [TOPIC])
        return {tp.partition: off for tp, off in (await probe.end_offsets(tps)).items()}
    finally:
        await probe.stop()


async def test_lag_follows_a_blocked_backlog_and_counters_move(infra, prefix):
    service = f"probe{prefix}"
    runtime = ServiceRuntime(infra.settings(service, prefix), gate=None)
    handler = GatedHandler()
    runtime.consume([TOPIC], handler)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(runtime.app(), host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    await runtime.start()
    http = asyncio.create_task(server.serve())
    broker = KafkaBroker(infra.kafka)
    await broker.start()
    try:
        # caught up with whatever earlier tests left on the topic: every partition reported, all at 0
        async def caught_up():
            lag = _lag(await _scrape(port, service))
            return lag if len(lag) >= 3 and not any(lag.values()) else None

        await eventually(caught_up, timeout=30)
        before = await _scrape(port, service)
        ends_before = await _end_offsets(infra.kafka)

        handler.open.clear()
        region = region_code()
        events = [educator_registered(region, n) for n in range(9)]
        await EventPublisher(broker).publish_all(events, inbound=True)
        await asyncio.wait_for(handler.waiting.wait(), 15)
        ends_after = await _end_offsets(infra.kafka)
        backlog = {p: ends_after[p] - ends_before.get(p, 0) for p in ends_after}
        assert sum(backlog.values()) == len(events)

        # the gauge shows the backlog per partition while the handler is blocked
        async def blocked_lag():
            lag = _lag(await _scrape(port, service))
            return lag if sum(lag.values()) == len(events) else None

        lag = await eventually(blocked_lag, timeout=15)
        assert {p: v for p, v in lag.items() if v} == {p: n for p, n in backlog.items() if n}
        await asyncio.sleep(1.0)  # the blocked batch shows in the latency histogram
        handler.open.set()

        async def drained():
            lag = _lag(await _scrape(port, service))
            return lag if lag and not any(lag.values()) else None

        await eventually(drained, timeout=15)

        # one malformed message is dead-lettered; the use case fails once, transiently, on one event:
        # it is retried and applied (no batch handed back)
        poison = educator_registered(region, 100)
        handler.fail_once.add(str(poison.event_id))
        await broker.publish(b"{not json", topic=TOPIC, key=b"broken")
        await EventPublisher(broker).publish_all([poison], inbound=True)

        async def settled():
            now = await _scrape(port, service)
            processed = _value(now, "rsnms_events_processed_total", event_type="EducatorRegistered") - _value(
                before, "rsnms_events_processed_total", event_type="EducatorRegistered"
            )
            return now if processed == len(events) + 1 and not any(_lag(now).values()) else None

        after = await eventually(settled, timeout=20)
    finally:
        handler.open.set()
        server.should_exit = True
        await http
        await broker.stop()
        await runtime.stop()

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("rsnms_events_dead_lettered_total", error_kind="malformed_json") == 1
    assert (
        sum(v for (n, _), v in after.items() if n == "rsnms_events_dead_lettered_total")
        - sum(v for (n, _), v in before.items() if n == "rsnms_events_dead_lettered_total")
        == 1
    )
    assert delta("rsnms_batches_failed_total") == 0
    assert delta("rsnms_batch_handler_seconds_count") >= 2
    # the batch held for over a second is in the histogram above the 1 s bucket
    assert delta("rsnms_batch_handler_seconds_count") > delta("rsnms_batch_handler_seconds_bucket", le="1.0")
    assert delta("rsnms_batch_handler_seconds_sum") >= 1.0
