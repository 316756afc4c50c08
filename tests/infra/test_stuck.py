"""Readiness tells the truth, and an operator can act (issue 12 items 2 and 3): a use case held up
by a message keeps its partition from advancing; once that lasts longer than RSNMS_STUCK_AFTER_S,
`/health/ready` is false naming the partition and offset, `rsnms_consumer_stuck` is 1 for it and a
log line says where. `rsnms show` prints the message there; `rsnms skip GROUP POSITION --by --reason`
dead-letters it on purpose (recorded with who and why) and the running consumer passes over it: the
event behind it is applied, the lag returns to 0 and readiness is true again."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from pymongo import AsyncMongoClient

from contracts import DeadLetter, Topic
from rsnms_runtime import metrics
from rsnms_runtime.kafka import EventPublisher, Incoming, Outcome
from rsnms_runtime.localstack import ROOT
from rsnms_runtime.service import ServiceRuntime
from tests.support.factories import educator_registered, region_code
from tests.support.kafka import eventually, read_topic

pytestmark = pytest.mark.infra
TOPIC = str(Topic.REGISTRY_SUBMITTED)


class HeldUp:
    """A use case that never returns from a batch holding one particular event."""

    def __init__(self, held: str) -> None:
        self.held = held
        self.applied: list[str] = []
        self.entered = asyncio.Event()

    async def __call__(self, batch: list[Incoming]) -> Outcome:
        if any(i.event_id == self.held for i in batch):
            self.entered.set()
            await asyncio.Event().wait()  # forever, until cancelled
        self.applied += [i.event_id for i in batch]
        return Outcome()


async def rsnms(infra, prefix: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **infra.env,
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka,
        "MONGODB_URI": infra.mongodb,
        "RSNMS_DB_PREFIX": prefix,
        "RSNMS_GROUP_PREFIX": prefix,
    }
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "rsnms_runtime.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_a_held_up_partition_makes_readiness_false_until_an_operator_skips_the_message(infra, prefix):
    service = f"held{prefix}"
    settings = infra.settings(service, prefix).model_copy(update={"stuck_after_s": 1.0})
    region = region_code()
    first, held, behind = (educator_registered(region, n) for n in range(3))
    handler = HeldUp(str(held.event_id))
    runtime = ServiceRuntime(settings, gate=None)
    consumer = runtime.consume([TOPIC], handler)
    await runtime.start()
    try:

        async def caught_up():
            lags = await consumer.update_lag()
            return lags and not any(lags.values())

        await eventually(caught_up, timeout=60)  # whatever earlier tests left on the topic
        assert (await runtime.ready())["consumers"] == "ok"

        # an ordinary event first, committed; then the one the use case is held up by
        await runtime.broker.publish(first.to_bytes(), topic=TOPIC, key=held.key.encode())

        async def first_applied():
            lags = await consumer.update_lag()
            return str(first.event_id) in handler.applied and lags and not any(lags.values())

        await eventually(first_applied, timeout=30)
        await EventPublisher(runtime.broker).publish(held, TOPIC)
        # behind it on its partition (the key decides the partition)
        await runtime.broker.publish(behind.to_bytes(), topic=TOPIC, key=held.key.encode())
        await asyncio.wait_for(handler.entered.wait(), 30)

        async def not_ready():
            state = await runtime.ready()
            return state if state["consumers"] != "ok" else None

        state = await eventually(not_ready, timeout=30)
        [stuck] = consumer.stuck()
        where = f"{stuck.topic}:{stuck.partition}:{stuck.offset}"
        assert state["consumers"].startswith(f"stuck: {stuck.topic}:{stuck.partition} at offset {stuck.offset}")
        assert state["kafka"] == state["mongodb"] == "ok"
        labels = {"service": service, "topic": stuck.topic, "partition": str(stuck.partition)}
        assert metrics.REGISTRY.get_sample_value("rsnms_consumer_stuck", labels) == 1

        shown = await rsnms(infra, prefix, "show", where)
        assert shown.returncode == 0, shown.stderr
        assert str(held.event_id) in shown.stdout and f"{prefix}.{service}" in shown.stdout

        skipped = await rsnms(
            infra,
            prefix,
            "skip",
            f"{prefix}.{service}",
            where,
            "--by",
            "operator-7",
            "--reason",
            "holds up the use case",
        )
        assert skipped.returncode == 0, skipped.stderr
        assert "running consumers" in skipped.stdout
        again = await rsnms(infra, prefix, "skip", f"{prefix}.{service}", where, "--by", "x", "--reason", "y")
        assert "already skipped" in again.stdout

        async def ready_again():
            lags = await consumer.update_lag()
            state = await runtime.ready()
            return state if state["consumers"] == "ok" and lags and not any(lags.values()) else None

        await eventually(ready_again, timeout=60)
        assert str(behind.event_id) in handler.applied and str(held.event_id) not in handler.applied
        assert metrics.REGISTRY.get_sample_value("rsnms_consumer_stuck", labels) == 0
    finally:
        await runtime.stop()

    letters = [DeadLetter.model_validate_json(r.value) for r in await read_topic(infra.kafka, str(Topic.DEAD_LETTER))]
    mine = [d for d in letters if d.consumer == service and d.position == where]
    assert [d.error_kind for d in mine] == ["skipped"]
    assert "operator-7" in mine[0].error and "holds up the use case" in mine[0].error
    assert mine[0].event_id is None or mine[0].event_id == str(held.event_id)
    async with AsyncMongoClient(infra.mongodb) as client:
        [record] = [d async for d in client[f"{prefix}_ops"]["skips"].find({"group": f"{prefix}.{service}"})]
    assert (record["by"], record["reason"]) == ("operator-7", "holds up the use case")
    assert record["dead_letter"] and f"{record['topic']}:{record['partition']}:{record['offset']}" == where
