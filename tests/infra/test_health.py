"""Readiness follows the broker: false while Kafka is down, true again after it is back."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from rsnms_runtime.localstack import STACK
from services.registry.entrypoints.app import build
from tests.support.kafka import eventually

pytestmark = pytest.mark.infra


def _stack(infra, *args: str) -> None:
    done = subprocess.run([str(STACK), *args], env=infra.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


async def test_readiness_goes_false_when_the_broker_is_down_and_true_after(infra, prefix):
    runtime = build(infra.settings("registry", prefix), gate=None)
    await runtime.start()
    try:
        assert await runtime.ready() == {"kafka": "ok", "mongodb": "ok", "consumers": "ok"}
        await asyncio.to_thread(_stack, infra, "stop", "kafka")
        try:
            state = await eventually(lambda: _not_ready(runtime), timeout=60)
            assert state["kafka"] == "unavailable" and state["mongodb"] == "ok"
        finally:
            await asyncio.to_thread(_stack, infra, "start", "kafka")
        assert await eventually(lambda: _is_ready(runtime), timeout=120)
    finally:
        await runtime.stop()


async def _not_ready(runtime):
    state = await runtime.ready()
    return state if state["kafka"] != "ok" else None


async def _is_ready(runtime):
    return await runtime.ready() == {"kafka": "ok", "mongodb": "ok", "consumers": "ok"}
