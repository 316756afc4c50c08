"""Faults injected while a region streams through the platform: every service killed with
SIGKILL and restarted, the Kafka broker restarted, FerretDB restarted. Afterwards every
indicator still equals the independent recomputation from the raw events (nothing lost,
nothing counted twice), no route was assigned twice and no event id carries two contents."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import date

import pytest
from faststream.kafka import KafkaBroker

from contracts import RouteAssigned
from demo.feed import feed_region
from demo.generator import RegionSpec
from rsnms_runtime.kafka import EventPublisher
from rsnms_runtime.localstack import STACK
from tests.e2e.checks import differences, region_under_test, settled
from tests.e2e.platform import SERVICES, Platform
from tests.support.factories import region_code

pytestmark = [pytest.mark.infra, pytest.mark.e2e, pytest.mark.chaos]
AS_OF = date(2025, 11, 30)


async def _restart(infra, component: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        str(STACK),
        "restart",
        component,
        env=infra.env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()


async def test_sigkill_of_every_service_and_infrastructure_restarts_lose_and_double_nothing(infra, prefix, tmp_path):
    region = region_code()
    spec = RegionSpec(
        region=region,
        municipalities=4,
        schools_per_municipality=(4, 6),
        educators_per_school=(15, 30),
        programs=30,
        today=AS_OF,
        seed=23,
    )
    generator, keys = region_under_test(spec)
    injected: list[str] = []
    with Platform(infra, prefix, tmp_path, keys, region, extra_env={"RSNMS_BATCH_MAX_RECORDS": "50"}) as platform:
        broker = KafkaBroker(infra.kafka)
        await broker.start()
        feed = asyncio.create_task(
            feed_region(
                generator, EventPublisher(broker, keys=keys), infra.kafka, timeout=420, routes_group=f"{prefix}.routes"
            )
        )
        try:
            for name in SERVICES:
                await asyncio.sleep(1.5)
                platform.stop(name, signal.SIGKILL)
                injected.append(f"SIGKILL {name}")
                platform.start(name)
                await asyncio.to_thread(platform.wait_ready, (name,), 120)
            await _restart(infra, "ferretdb")
            injected.append("restart ferretdb")
            await asyncio.sleep(1)
            await _restart(infra, "kafka")
            injected.append("restart kafka")
            fed = await feed
        finally:
            if not feed.done():
                feed.cancel()
            await broker.stop()

        expected, actual, events = await settled(infra.kafka, platform, region, AS_OF, timeout=300)
        mismatched = differences(expected, actual)
        assert not mismatched, f"after {injected}: {len(mismatched)} values differ: {mismatched}"

        routes = [e for e in events if isinstance(e, RouteAssigned)]
        by_diagnosis = Counter(r.payload.diagnosis_id for r in {r.event_id: r for r in routes}.values())
        assert by_diagnosis and max(by_diagnosis.values()) == 1, "a diagnosis got two different routes"
        contents: dict = {}
        for e in events:
            assert contents.setdefault(e.event_id, e.content_hash()) == e.content_hash(), "an id re-used"
        published = {e.event_id for e in fed.published if e.event_type != "DiagnosticResultSubmitted"}
        assert published <= {e.event_id for e in events}
        for name in SERVICES:
            assert platform.get(name, "/health/ready")["ready"] is True
    print(f"faults injected: {injected}; events checked: {len(events)}")
