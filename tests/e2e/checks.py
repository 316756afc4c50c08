"""Waiting for the platform to settle and comparing its indicators with the reference."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import date
from typing import Any

from faststream.kafka import KafkaBroker

from contracts import Topic
from demo.competencies import framework_competencies
from demo.feed import FeedResult, TopicTail, caught_up, feed_region
from demo.generator import RegionGenerator, RegionSpec
from rsnms_runtime.kafka import EventPublisher
from tests.e2e.platform import Platform
from tests.e2e.reference import recompute

FOLDED_TOPICS = [str(Topic.REGISTRY_FACTS), str(Topic.DEFICITS), str(Topic.ROUTES), str(Topic.PROGRESS)]


def region_under_test(spec: RegionSpec, pseudonym_key: bytes | None = None) -> tuple[RegionGenerator, dict[str, bytes]]:
    """The generator of a test region and fresh secret keys for its publishing systems;
    `pseudonym_key` replaces the demo pseudonymisation key."""
    generator = RegionGenerator(spec, framework_competencies(), *([pseudonym_key] if pseudonym_key else []))
    return generator, {s: secrets.token_hex(16).encode() for s in generator.sources}


async def feed(
    infra: Any, generator: RegionGenerator, keys: dict[str, bytes], prefix: str, timeout: float
) -> FeedResult:
    """Feed the region as its outside systems would (signed), waiting for the routes group, also
    after the providers' reports: progress counts once the routes service accepted it."""
    broker = KafkaBroker(infra.kafka)
    await broker.start()
    try:
        fed = await feed_region(
            generator, EventPublisher(broker, keys=keys), infra.kafka, timeout=timeout, routes_group=f"{prefix}.routes"
        )
    finally:
        await broker.stop()
    await caught_up(infra.kafka, f"{prefix}.routes", timeout)
    return fed


def production_table(platform: Platform, region: str, as_of: date) -> dict:
    table = platform.get("indicators", f"/indicators?region={region}&as_of={as_of}")
    out = {}
    for v in table["values"]:
        out[(v["indicator"], v["scope_kind"], v["scope_id"])] = (v["numerator"], v["denominator"])
        if v["indicator"] == "E1" and v["scope_kind"] == "region":
            out[("E1max", "region", region)] = (int(v["extra"]["max_load"]), 0)
    return out


async def settled(
    kafka: str, platform: Platform, region: str, as_of: date, timeout: float = 180
) -> tuple[dict, dict, list[Any]]:
    """(reference, production, raw events) once they agree, or at the timeout."""
    tail = TopicTail(kafka, FOLDED_TOPICS, region)
    await tail.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            await tail.poll()
            expected = recompute(tail.events, region, as_of)
            actual = production_table(platform, region, as_of)
            if actual == expected or time.monotonic() > deadline:
                return expected, actual, tail.events
            await asyncio.sleep(1)
    finally:
        await tail.stop()


def differences(expected: dict, actual: dict) -> dict:
    return {
        k: (expected.get(k), actual.get(k)) for k in set(expected) | set(actual) if expected.get(k) != actual.get(k)
    }
