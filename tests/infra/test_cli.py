"""The operator's CLI (`rsnms`, run as a process) against a running indicators service:
status shows the health, the topics and the lag of the group per partition; deadletters
lists a dead letter with its reason; snapshot takes a passport through the service's HTTP
API; rebuild refuses a running service, replays a stopped one with a progress bar and ends
with the same indicators."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from datetime import date

import pytest
import uvicorn
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker

from contracts import Topic
from rsnms_runtime.kafka import EventPublisher, update_lag
from rsnms_runtime.localstack import ROOT
from rsnms_runtime.localstack import free_port as _free_port
from services.indicators.entrypoints.app import build
from tests.support.factories import region_code
from tests.support.indicators import dx, reg
from tests.support.kafka import eventually

pytestmark = pytest.mark.infra
AS_OF = date(2024, 12, 31)
BROKEN = b'{"event_type": '


def _json_error(raw: bytes) -> str:
    try:
        json.loads(raw)
    except json.JSONDecodeError as exc:
        return str(exc)
    raise AssertionError("valid JSON")


def _env(infra, prefix: str) -> dict[str, str]:
    return {
        **infra.env,
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka,
        "MONGODB_URI": infra.mongodb,
        "RSNMS_DB_PREFIX": prefix,
        "RSNMS_GROUP_PREFIX": prefix,
    }


async def rsnms(infra, prefix: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "rsnms_runtime.cli", *args],
        cwd=ROOT,
        env=_env(infra, prefix),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Indicators:
    """The indicators service in-process, with its HTTP endpoints on a free port."""

    def __init__(self, infra, prefix: str):
        self.runtime = build(infra.settings("indicators", prefix), gate=None)
        self.port = _free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(self.runtime.app(), host="127.0.0.1", port=self.port, lifespan="off", log_level="warning")
        )

    async def __aenter__(self) -> Indicators:
        await self.runtime.start()
        self.http = asyncio.create_task(self.server.serve())
        return self

    async def caught_up(self) -> None:
        async def zero():
            lag = await update_lag(self.runtime.consumers[0])
            return lag and not any(lag.values())

        await eventually(zero, timeout=30)

    def values(self, region: str) -> list[dict]:
        return [v.model_dump() for v in self.runtime.indicators.values(region, AS_OF)]

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        await self.http
        await self.runtime.stop()


def _region_events(region: str) -> list:
    return [*(reg(n, region=region) for n in range(6)), *(dx(n, region=region) for n in range(3))]


async def _publish(infra, events: list) -> None:
    broker = KafkaBroker(infra.kafka)
    await broker.start()
    try:
        await EventPublisher(broker).publish_all(events)
    finally:
        await broker.stop()


async def _committed(infra, group: str) -> dict[tuple[str, int], int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka)
    await admin.start()
    try:
        return {
            (tp.topic, tp.partition): m.offset for tp, m in (await admin.list_consumer_group_offsets(group)).items()
        }
    finally:
        await admin.close()


async def test_status_deadletters_and_snapshot(infra, prefix):
    region = region_code()
    group = f"{prefix}.indicators"
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka)
    await producer.start()
    try:
        async with Indicators(infra, prefix) as svc:
            await _publish(infra, _region_events(region))
            bad = await producer.send_and_wait(str(Topic.ROUTES), BROKEN, key=b"cli-" + prefix.encode())
            await svc.caught_up()
            assert any(v["numerator"] for v in svc.values(region))

            listed = await rsnms(infra, prefix, "deadletters", "--consumer", "indicators", "--kind", "malformed_json")
            assert listed.returncode == 0, listed.stderr
            origin = f"{bad.topic}:{bad.partition}@{bad.offset}"
            entry = re.search(rf"indicators\s+malformed_json\s+{re.escape(origin)}\n\s+(.+)", listed.stdout)
            assert entry, listed.stdout
            assert entry.group(1) == _json_error(BROKEN)

            url = f"http://127.0.0.1:{svc.port}"
            first = await rsnms(infra, prefix, "snapshot", region, "--url", url)
            second = await rsnms(infra, prefix, "snapshot", "--region", region, "--url", url)
            assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
            one, two = json.loads(first.stdout), json.loads(second.stdout)
            assert (one["region"], one["version"], two["version"]) == (region, 1, 2)
            latest = await svc.runtime.indicators.latest_snapshot(region)
            assert latest.snapshot_id == two["snapshot_id"] != one["snapshot_id"]
            refused = await rsnms(infra, prefix, "snapshot", "not a region", "--url", url)
            assert refused.returncode == 1 and "region" in refused.stderr

        # stopped with a backlog of 4 events: status shows the group's lag, per partition
        late = [reg(n, region=region, rev=2) for n in range(4)]
        await _publish(infra, late)
        committed = await _committed(infra, group)
        status = await rsnms(infra, prefix, "status")
    finally:
        await producer.stop()
    assert status.returncode == 0, status.stderr
    out = status.stdout
    assert re.search(r"^kafka\s+\S+: healthy$", out, re.M) and re.search(r"^mongodb\s+\S+: healthy$", out, re.M)
    assert re.search(rf"^{re.escape(str(Topic.REGISTRY_FACTS))}\s+3\s+\d+$", out, re.M), out
    assert f"{group}  (total lag {len(late)})" in out, out
    rows = {
        (t, int(p)): (int(c), int(lag))
        for t, p, c, lag in re.findall(
            r"^  ([\w.]+):(\d+)\s+(-?\d+)\s+(\d+)$", out.split(group, 1)[1].split("\n\n")[0], re.M
        )
    }
    assert {k: c for k, (c, _) in rows.items()} == committed
    facts = {p: lag for (t, p), (_, lag) in rows.items() if t == str(Topic.REGISTRY_FACTS)}
    assert sum(facts.values()) == len(late) and sum(lag for _, lag in rows.values()) == len(late)


async def test_rebuild_replays_a_stopped_service_to_the_same_indicators(infra, prefix):
    region = region_code()
    async with Indicators(infra, prefix) as svc:
        await _publish(infra, _region_events(region))
        await svc.caught_up()
        before = svc.values(region)
        running = await rsnms(infra, prefix, "rebuild", "indicators")
        assert running.returncode == 2 and "stop the service first" in running.stderr
    assert any(v["numerator"] for v in before)

    watch = subprocess.Popen(
        [sys.executable, "-m", "rsnms_runtime.cli", "rebuild", "indicators", "--watch", "--timeout", "60"],
        cwd=ROOT,
        env=_env(infra, prefix),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    head: list[str] = []
    try:
        # the service starts once the CLI has rewound the group and dropped the projection
        while not head or not head[-1].startswith("start the service"):
            line = await asyncio.to_thread(watch.stdout.readline)
            assert line, watch.stderr.read()
            head.append(line)
        async with Indicators(infra, prefix) as svc:
            out, err = await asyncio.to_thread(watch.communicate, timeout=60)
            after = svc.values(region)
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.communicate()
    out = "".join(head) + out
    assert watch.returncode == 0, err
    assert f"{prefix}.indicators rewound on" in out and f"dropped {prefix}_indicators" in out
    bars = re.findall(r"\[([#.]{40})\] (\d+)/(\d+) events", out)
    assert bars and bars[-1][0] == "#" * 40 and bars[-1][1] == bars[-1][2] != "0", out
    assert after == before
