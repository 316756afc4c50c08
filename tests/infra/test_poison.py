"""No message can stop a partition, for every service (issue 12, "Done when"): on one partition,
a 5 MB message sent gzip-compressed, an 880 KiB message, a message its use case fails on every
time (not transient), one it fails on with a transient error every time while the broker and the
database answer, and valid events behind each. The valid ones are applied, each bad one is
dead-lettered exactly once with a reason (and its dead letter fits: a part of the original, its
size, digest and position), and the group's lag returns to 0."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from pymongo.errors import AutoReconnect

from contracts import DeadLetter, Event, Topic
from contracts.deadletter import ORIGINAL_KEPT_BYTES
from rsnms_runtime.kafka import BatchHandler, Incoming, Outcome
from services.diagnostics.entrypoints.app import build as diagnostics
from services.indicators.entrypoints.app import build as indicators
from services.registry.entrypoints.app import build as registry
from services.routes.entrypoints.app import build as routes
from tests.support.diagnostics import result, submitted
from tests.support.factories import educator_id, educator_registered, region_code
from tests.support.kafka import eventually, read_topic

pytestmark = pytest.mark.infra

BIG = 5 * 1024 * 1024
MEDIUM = 880 * 1024


def _valid(service: str, region: str, n: int) -> Event:
    if service == "diagnostics":
        return submitted(
            result({"digital_platforms": 40.0 + n}, session=f"s-{region}-{n}", educator=educator_id()), region
        )
    return educator_registered(region, n)


SERVICES = {
    # service: (composition root, topic its outside input comes on)
    "registry": (registry, Topic.REGISTRY_SUBMITTED),
    "diagnostics": (diagnostics, Topic.DIAGNOSTIC_RESULTS),
    "routes": (routes, Topic.REGISTRY_FACTS),
    "indicators": (indicators, Topic.REGISTRY_FACTS),
}


class Poisoned:
    """Wraps a service's use case: it fails every time on the poisoned events (one with a
    programming error, one with a database error that looks transient), and records what the
    real use case accepted."""

    def __init__(self, failing: str, transient: str) -> None:
        self.failing, self.transient = failing, transient
        self.applied: list[str] = []
        self.calls_with_poison = 0

    def __call__(self, handler: BatchHandler) -> BatchHandler:
        async def wrapped(batch: list[Incoming]) -> Outcome:
            ids = {i.event_id for i in batch}
            if self.failing in ids:
                self.calls_with_poison += 1
                raise KeyError(f"injected bug on {self.failing}")
            if self.transient in ids:
                self.calls_with_poison += 1
                raise AutoReconnect("injected: connection reset while writing this one")
            outcome = await handler(batch)
            refused = {i.event_id for i, _ in outcome.rejected}
            self.applied += [i.event_id for i in batch if i.event_id not in refused]
            return outcome

        return wrapped


def _padded(event: Event, size: int) -> bytes:
    doc: dict[str, Any] = json.loads(event.to_bytes())
    doc["padding"] = "ab" * ((size - len(event.to_bytes())) // 2)
    return json.dumps(doc).encode()


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_bad_messages_are_dead_lettered_once_and_the_partition_moves_on(infra, prefix, service):
    build, topic = SERVICES[service]
    region = region_code()
    valid = [_valid(service, region, n) for n in range(5)]
    failing, transient = _valid(service, region, 100), _valid(service, region, 101)
    poisoned = Poisoned(str(failing.event_id), str(transient.event_id))
    settings = infra.settings(service, prefix).model_copy(update={"retry_attempts": 2, "retry_max_delay_s": 0.2})
    runtime = build(settings, gate=None, around_handler=poisoned)

    plain = AIOKafkaProducer(bootstrap_servers=infra.kafka, max_request_size=2 * 1024 * 1024)
    gzip = AIOKafkaProducer(bootstrap_servers=infra.kafka, compression_type="gzip", max_request_size=8 * 1024 * 1024)
    await plain.start()
    await gzip.start()
    big, medium = _padded(valid[0], BIG), _padded(valid[0], MEDIUM)
    sequence = [
        ("big", gzip, big),
        ("valid", plain, valid[0].to_bytes()),
        ("medium", plain, medium),
        ("valid", plain, valid[1].to_bytes()),
        ("failing", plain, failing.to_bytes()),
        ("valid", plain, valid[2].to_bytes()),
        ("transient", plain, transient.to_bytes()),
        ("valid", plain, valid[3].to_bytes()),
    ]
    positions: dict[str, tuple[int, bytes]] = {}
    await runtime.start()
    try:
        for name, producer, value in sequence:
            meta = await producer.send_and_wait(str(topic), value, key=valid[0].key.encode(), partition=0)
            if name != "valid":
                positions[name] = (meta.offset, value)
        await plain.send_and_wait(str(topic), valid[4].to_bytes(), key=valid[0].key.encode(), partition=0)

        expected = {str(e.event_id) for e in valid}

        async def all_applied():
            return expected <= set(poisoned.applied)

        await eventually(all_applied, timeout=120)

        async def lag_zero():
            lags = [await c.update_lag() for c in runtime.consumers]
            return all(lag and not any(lag.values()) for lag in lags)

        await eventually(lag_zero, timeout=60)
    finally:
        await plain.stop()
        await gzip.stop()
        await runtime.stop()

    letters = [
        (r, DeadLetter.model_validate_json(r.value)) for r in await read_topic(infra.kafka, str(Topic.DEAD_LETTER))
    ]
    mine = [d for _, d in letters if d.consumer == service and d.topic == str(topic) and d.partition == 0]
    for name, (offset, value) in positions.items():
        at = [d for d in mine if d.offset == offset]
        assert len(at) == 1, (name, [d.error_kind for d in at])
        letter = at[0]
        assert letter.error and letter.original_size == len(value)
        if name in ("big", "medium"):
            assert letter.error_kind == "oversized"
            assert letter.original_truncated and len(letter.original) <= ORIGINAL_KEPT_BYTES
            assert letter.original == value[: len(letter.original)]
            assert f"{topic}:0:{offset}" in letter.error
        else:
            assert letter.error_kind == "failed"
            assert letter.original == value and not letter.original_truncated
            assert ("KeyError" if name == "failing" else "AutoReconnect") in letter.error
    # every dead letter fits within the producer's default request size
    assert all(len(r.value) < 1024 * 1024 for r, _ in letters)
    assert poisoned.applied.count(str(valid[0].event_id)) >= 1
    assert not {str(failing.event_id), str(transient.event_id)} & set(poisoned.applied)
