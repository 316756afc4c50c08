"""`deploy/local/stack up`, `down`, `up` keeps Kafka and FerretDB data; `status` reports health.

Runs its own stack (own ports and data directory) so it does not disturb the session stack.
"""

from __future__ import annotations

import subprocess

import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from tests.conftest import STACK
from tests.support.kafka import read_topic

pytestmark = pytest.mark.infra


def _stack(cmd: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(STACK), cmd], env=env, capture_output=True, text=True, timeout=300)


async def test_up_down_up_keeps_data_and_status_reports_health(infra, tmp_path):
    env = {
        **infra.env,
        "RSNMS_STACK_DIR": str(tmp_path / "stack"),
        # below the ephemeral range (32768-60999): a client's source port cannot hold one of them
        "KAFKA_PORT": "29192",
        "KAFKA_CONTROLLER_PORT": "29193",
        "FERRETDB_PORT": "27117",
        "KAFKA_SASL_PORT": "29194",  # not the session stack's
        "KAFKA_TLS_PORT": "29195",
    }
    kafka, mongodb = "127.0.0.1:29192", "mongodb://127.0.0.1:27117/"
    try:
        first = _stack("up", env)
        assert first.returncode == 0, first.stderr
        assert f"KAFKA_BOOTSTRAP_SERVERS={kafka}" in first.stdout

        producer = AIOKafkaProducer(bootstrap_servers=kafka)
        await producer.start()
        await producer.send_and_wait("lifecycle.check", b"kept", key=b"k")
        await producer.stop()
        client = AsyncMongoClient(mongodb)
        await client.lifecycle.check.insert_one({"_id": "kept", "n": 1})
        await client.close()

        assert _stack("down", env).returncode == 0
        status = _stack("status", env)
        assert status.returncode != 0 and "kafka: stopped" in status.stdout

        assert _stack("up", env).returncode == 0
        status = _stack("status", env)
        assert status.returncode == 0, status.stdout + status.stderr
        assert "healthy" in status.stdout and "unhealthy" not in status.stdout

        assert [r.value for r in await read_topic(kafka, "lifecycle.check")] == [b"kept"]
        client = AsyncMongoClient(mongodb)
        assert await client.lifecycle.check.find_one({"_id": "kept"}) == {"_id": "kept", "n": 1}
        await client.close()
    finally:
        _stack("down", env)
