"""Graceful shutdown: stop() (and SIGTERM of a served process) stops fetching, lets the
batch in flight finish and commits it, or hands it back uncommitted when it fails; the
next instance of the group consumes exactly what is left, nothing applied twice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker

from contracts import Topic
from rsnms_runtime import metrics
from rsnms_runtime.kafka import EventPublisher, Incoming, Outcome, update_lag
from rsnms_runtime.localstack import ROOT
from rsnms_runtime.service import ServiceRuntime
from tests.support.factories import educator_registered, region_code
from tests.support.kafka import eventually

pytestmark = pytest.mark.infra
TOPIC = str(Topic.REGISTRY_SUBMITTED)


class SlowHandler:
    """Records what it applies of one region; holds a batch of that region until released."""

    def __init__(self, region: str, hold: bool = False, fail: bool = False) -> None:
        self.region, self.fail = region, fail
        self.release = asyncio.Event()
        if not hold:
            self.release.set()
        self.entered = asyncio.Event()
        self.applied: list[tuple[int, int, str]] = []
        self.finished_at: float | None = None

    async def __call__(self, batch: list[Incoming]) -> Outcome:
        mine = [i for i in batch if i.event.region == self.region]
        if mine and not self.release.is_set():
            self.entered.set()
            await self.release.wait()
            if self.fail:
                raise ConnectionError("injected: the database went away while stopping")
        self.applied.extend((i.partition, i.offset, str(i.event.event_id)) for i in mine)
        if mine:
            self.finished_at = time.monotonic()
        return Outcome()


async def _caught_up(runtime: ServiceRuntime) -> None:
    async def zero():
        lags = [await update_lag(c) for c in runtime.consumers]
        return all(lag and not any(lag.values()) for lag in lags)

    await eventually(zero, timeout=30)


async def _committed(bootstrap: str, group: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {
            tp.partition: meta.offset
            for tp, meta in (await admin.list_consumer_group_offsets(group)).items()
            if tp.topic == TOPIC
        }
    finally:
        await admin.close()


async def _publish(bootstrap: str, events: list) -> None:
    broker = KafkaBroker(bootstrap)
    await broker.start()
    try:
        await EventPublisher(broker).publish_all(events, inbound=True)
    finally:
        await broker.stop()


def _duplicates(service: str) -> float:
    return metrics.REGISTRY.get_sample_value("rsnms_events_duplicate_total", {"service": service}) or 0.0


async def _run_until_drained(infra, settings, region: str) -> SlowHandler:
    """A new instance of the group: what it applies of `region` until its lag is 0. It must
    be handed nothing the first instance applied (the ledger would count it as a duplicate)."""
    handler = SlowHandler(region)
    runtime = ServiceRuntime(settings, gate=None)
    runtime.consume([TOPIC], handler)
    duplicates = _duplicates(settings.service)
    await runtime.start()
    try:
        await _caught_up(runtime)
    finally:
        await runtime.stop()
    assert _duplicates(settings.service) == duplicates, "redelivered what was applied and should have been committed"
    return handler


async def _stop_while_in_flight(infra, prefix: str, fail: bool) -> tuple[SlowHandler, list, dict, dict]:
    region = region_code()
    settings = infra.settings(f"stop{prefix}", prefix)
    handler = SlowHandler(region, hold=True, fail=fail)
    runtime = ServiceRuntime(settings, gate=None)
    runtime.consume([TOPIC], handler)
    await runtime.start()
    await _caught_up(runtime)  # whatever earlier tests left on the topic
    committed_before = await _committed(infra.kafka, settings.group_id)
    events = [educator_registered(region, n) for n in range(8)]
    await _publish(infra.kafka, events)
    await asyncio.wait_for(handler.entered.wait(), 15)

    stopping = asyncio.create_task(runtime.stop())
    await asyncio.sleep(1.0)
    assert not stopping.done(), "stop() returned while a batch was in flight"
    handler.release.set()
    await asyncio.wait_for(stopping, 30)
    stopped_at = time.monotonic()
    if not fail:
        assert handler.finished_at is not None and handler.finished_at <= stopped_at
    return handler, events, committed_before, await _committed(infra.kafka, settings.group_id)


async def test_stop_lets_the_batch_in_flight_finish_and_commits_it(infra, prefix):
    first, events, before, after = await _stop_while_in_flight(infra, prefix, fail=False)
    assert first.applied, "the batch in flight was not applied"
    # the committed offset of each partition is just past the last record applied there
    for partition, offset in {p: o for p, o, _ in sorted(first.applied)}.items():
        assert after[partition] == offset + 1
    late = educator_registered(first.region, 99)
    await _publish(infra.kafka, [late])

    second = await _run_until_drained(infra, infra.settings(f"stop{prefix}", prefix), first.region)
    once = [e for _, _, e in first.applied]
    again = [e for _, _, e in second.applied]
    assert not set(once) & set(again), "events applied by both instances"
    assert sorted(once + again) == sorted(str(e.event_id) for e in [*events, late])
    assert before != after


async def test_a_batch_failing_while_stopping_is_handed_back(infra, prefix):
    first, events, before, after = await _stop_while_in_flight(infra, prefix, fail=True)
    assert first.applied == [] and after == before  # nothing committed for the failed batch
    second = await _run_until_drained(infra, infra.settings(f"stop{prefix}", prefix), first.region)
    assert sorted(e for _, _, e in second.applied) == sorted(str(e.event_id) for e in events)


SERVED = f"""
import asyncio, sys, time
from rsnms_runtime import metrics
from rsnms_runtime.kafka import Outcome
from rsnms_runtime.service import ServiceRuntime, serve
from rsnms_runtime.settings import Settings

async def slow(batch):
    region = sys.argv[1]
    if any(i.event.region == region for i in batch):
        print("HANDLER_ENTERED", flush=True)
        await asyncio.sleep(3)
        print("HANDLER_DONE", sum(i.event.region == region for i in batch), flush=True)
    return Outcome()

runtime = ServiceRuntime(Settings(service="served"), gate=None)
runtime.consume(["{TOPIC}"], slow)
serve(runtime.app(), runtime.settings)
"""


async def test_sigterm_of_a_served_process_finishes_the_batch_and_exits_0(infra, prefix):
    region = region_code()
    env = {
        **infra.env,
        "RSNMS_DB_PREFIX": prefix,
        "RSNMS_GROUP_PREFIX": prefix,
        "RSNMS_HTTP_PORT": "0",
        "LOG_LEVEL": "WARNING",
        "RSNMS_BATCH_TIMEOUT_MS": "50",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("RSNMS_SOURCE_KEYS", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVED, region],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = asyncio.get_running_loop().run_in_executor(None, lambda: lines.extend(proc.stdout))
    try:
        events = [educator_registered(region, n) for n in range(5)]
        await _publish(infra.kafka, events)
        await eventually(lambda: _async("HANDLER_ENTERED\n" in lines), timeout=30)
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        await reader
    out = "".join(lines)
    assert code == 0, out
    done = [ln for ln in lines if ln.startswith("HANDLER_DONE")]
    assert done, f"the batch in flight did not finish:\n{out}"
    # what the finished batch held is committed: the group's offsets cover all of it
    committed = await _committed(infra.kafka, f"{prefix}.served")
    second = await _run_until_drained(infra, infra.settings("served", prefix), region)
    applied_first = sum(int(ln.split()[1]) for ln in done)
    assert committed and applied_first + len(second.applied) == len(events), out


async def _async(value):
    return value
