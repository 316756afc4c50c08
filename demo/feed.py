"""Feeding a generated region through Kafka the way the outside systems would, and
following what the platform answers.

Master data goes first, as a region loads its registry before it diagnoses anyone; once
the registry has confirmed it, the diagnostic results follow; once the platform has built
the routes, the providers report about them (enrolments, completions, informal
activities, management-team training).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer

from contracts import (
    ContractError,
    DeficitDiagnosed,
    DiagnosticResultSubmitted,
    Event,
    RouteAssigned,
    Topic,
    decode_event,
)
from demo.generator import Region, RegionGenerator
from rsnms_runtime.kafka import EventPublisher
from rsnms_runtime.partitions import topic_partitions


class TopicTail:
    """Reads topics from the beginning without a consumer group, keeping the events of one region."""

    def __init__(self, bootstrap: str, topics: Sequence[str], region: str):
        self._bootstrap = bootstrap
        self._topics = list(topics)
        self._region = region
        self._consumer: AIOKafkaConsumer | None = None
        self.events: list[Event] = []
        self.undecodable = 0

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False)
        await self._consumer.start()
        tps = await topic_partitions(self._bootstrap, self._topics)
        self._consumer.assign(tps)
        await self._consumer.seek_to_beginning(*tps)

    async def poll(self, timeout_ms: int = 300) -> list[Event]:
        assert self._consumer is not None
        fresh: list[Event] = []
        for records in (await self._consumer.getmany(timeout_ms=timeout_ms, max_records=5000)).values():
            for rec in records:
                try:
                    event = decode_event(rec.value)
                except ContractError:
                    self.undecodable += 1
                    continue
                if event.region == self._region:
                    fresh.append(event)
        self.events.extend(fresh)
        return fresh

    async def until(self, done: Callable[[list[Event]], bool], timeout: float, what: str) -> list[Event]:
        deadline = time.monotonic() + timeout
        while not done(self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:.0f} s for {what}")
            await self.poll()
        return self.events

    async def quiet(self, seconds: float, timeout: float, what: str) -> list[Event]:
        """Read until nothing new arrived for `seconds`."""
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        while time.monotonic() - last < seconds:
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:.0f} s for {what} to settle")
            if await self.poll():
                last = time.monotonic()
        return self.events

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()


@dataclass
class FeedResult:
    region: Region
    progress: list[Event] = field(default_factory=list)

    @property
    def published(self) -> list[Event]:
        return [*self.region.inbound, *self.progress]


def _diagnosed(expected_sessions: int) -> Callable[[list[Event]], bool]:
    def check(events: list[Event]) -> bool:
        return len({e.payload.session_id for e in events if isinstance(e, DeficitDiagnosed)}) >= expected_sessions

    return check


async def caught_up(bootstrap: str, group: str, timeout: float) -> None:
    """Wait until a consumer group has committed everything in the topics it reads. The broker
    may restart meanwhile: a request that finds it gone is asked again until the deadline."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await probe.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                offsets = await admin.list_consumer_group_offsets(group)
                ends = await probe.end_offsets(list(offsets)) if offsets else {}
            except KafkaError as exc:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"consumer group {group}: the broker did not answer ({exc!r})") from exc
                await asyncio.sleep(0.5)
                continue
            if offsets and all(meta.offset >= ends[tp] for tp, meta in offsets.items()):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"consumer group {group} did not catch up in {timeout:.0f} s")
            await asyncio.sleep(0.5)
    finally:
        await probe.stop()
        await admin.close()


async def feed_region(
    generator: RegionGenerator,
    publisher: EventPublisher,
    bootstrap: str,
    timeout: float = 300.0,
    log: Callable[[str], None] = lambda _: None,
    routes_group: str = "rsnms.routes",
) -> FeedResult:
    """Publish the region, wait for the platform's routes, publish the providers' reports."""
    region = generator.generate()
    result = FeedResult(region)
    tail = TopicTail(
        bootstrap, [str(Topic.REGISTRY_FACTS), str(Topic.DEFICITS), str(Topic.ROUTES)], generator.spec.region
    )
    await tail.start()
    try:
        log(f"publishing {len(region.registry)} registry facts")
        for chunk in range(0, len(region.registry), 1000):
            await publisher.publish_all(region.registry[chunk : chunk + 1000], inbound=True)
        facts = {e.event_id for e in region.registry}
        await tail.until(lambda evs: facts <= {e.event_id for e in evs}, timeout, "the registry's facts")
        log(f"registry confirmed the facts; publishing {len(region.diagnostics)} diagnostic results")
        for chunk in range(0, len(region.diagnostics), 1000):
            await publisher.publish_all(region.diagnostics[chunk : chunk + 1000], inbound=True)
        sessions = len({e.payload.session_id for e in region.diagnostics if isinstance(e, DiagnosticResultSubmitted)})
        await tail.until(_diagnosed(sessions), timeout, "the diagnoses")
        await caught_up(bootstrap, routes_group, timeout)  # not every diagnosis gets a route
        events = await tail.quiet(1.0, timeout, "the routes")
        routes = [e for e in events if isinstance(e, RouteAssigned)]
        log(f"platform diagnosed {sessions} sessions and built {len(routes)} routes")
        result.progress = generator.progress(region, routes)
        log(f"publishing {len(result.progress)} provider reports")
        for chunk in range(0, len(result.progress), 1000):
            await publisher.publish_all(result.progress[chunk : chunk + 1000], inbound=True)
    finally:
        await tail.stop()
    await asyncio.sleep(0)
    return result
