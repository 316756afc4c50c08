"""Structured logs: JSON lines with service, event id and type, trace and span ids; the
trace continues the publisher's; no personal data reaches the logs."""

from __future__ import annotations

import json

import pytest
from aiokafka import AIOKafkaProducer
from opentelemetry import propagate
from opentelemetry.sdk.trace import TracerProvider

from contracts import DeadLetter, Topic
from contracts.privacy import REDACTED
from rsnms_runtime.settings import Settings
from services.registry.entrypoints.app import build
from tests.support.factories import educator_registered, region_code
from tests.support.kafka import eventually, read_topic

pytestmark = pytest.mark.infra


async def test_log_lines_carry_service_event_and_trace_ids_and_no_personal_data(infra, prefix, capsys):
    region = region_code()
    base = infra.settings("registry", prefix)
    runtime = build(Settings(**{**base.__dict__, "log_level": "DEBUG"}), gate=None)
    await runtime.start()
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka)
    await producer.start()
    publisher_tracer = TracerProvider().get_tracer("cnppm-system")
    lines: list[dict] = []
    try:
        good = educator_registered(region, 11)
        leaky = json.loads(educator_registered(region, 12).to_bytes())
        leaky["payload"]["full_name"] = "Иванова Мария Петровна"
        leaky["payload"]["snils"] = "112-233-445 95"
        with publisher_tracer.start_as_current_span("cnppm publish") as span:
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            headers = [(k, v.encode()) for k, v in carrier.items()]
            await producer.send_and_wait(
                str(Topic.REGISTRY_SUBMITTED), good.to_bytes(), key=good.key.encode(), headers=headers
            )
            await producer.send_and_wait(
                str(Topic.REGISTRY_SUBMITTED), json.dumps(leaky).encode(), key=b"leak", headers=headers
            )
            trace_id = format(span.get_span_context().trace_id, "032x")

        def collected():
            lines.extend(json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{"))
            return any(
                ln.get("event_id") == str(good.event_id) and ln["event"] == "event_applied" for ln in lines
            ) and any(ln.get("event") == "dead_lettered" and "full_name" in ln.get("error", "") for ln in lines)

        await eventually(lambda: _async(collected()))
    finally:
        await producer.stop()
        await runtime.stop()

    assert all(ln["service"] == "registry" and "timestamp" in ln and "level" in ln for ln in lines)
    applied = next(ln for ln in lines if ln["event"] == "event_applied" and ln["event_id"] == str(good.event_id))
    assert applied["event_type"] == "EducatorRegistered"
    assert applied["trace_id"] == trace_id and len(applied["span_id"]) == 16
    dead = next(ln for ln in lines if ln["event"] == "dead_lettered" and "full_name" in ln["error"])
    assert dead["event_type"] == "EducatorRegistered" and dead["trace_id"] == trace_id
    text = json.dumps(lines, ensure_ascii=False)
    assert "Иванова" not in text and "112-233-445 95" not in text and "11223344595" not in text
    letters = [DeadLetter.model_validate_json(r.value) for r in await read_topic(infra.kafka, str(Topic.DEAD_LETTER))]
    letter = next(d for d in letters if d.consumer == "registry" and d.event_id == str(leaky["event_id"]))
    original = json.loads(letter.original)
    assert original["payload"]["full_name"] == original["payload"]["snils"] == REDACTED
    assert (
        original["payload"]["educator_id"] == leaky["payload"]["educator_id"]
        and "personal data removed" in letter.error
    )


async def _async(value):
    return value
