"""Test fixtures: the real local infrastructure, started by the project itself.

Tests marked `infra` get a dedicated stack (Apache Kafka + FerretDB) on test ports and
a fresh data directory, started once per session through `deploy/local/stack` and
stopped at the end. Set RSNMS_TEST_STACK=external with KAFKA_BOOTSTRAP_SERVERS and
MONGODB_URI to use a stack that is already running instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STACK = ROOT / "deploy" / "local" / "stack"


@dataclass(frozen=True)
class Infra:
    kafka: str
    mongodb: str
    env: dict[str, str]

    def settings(self, service: str, prefix: str) -> "object":
        from rsnms_runtime.settings import Settings

        return Settings(service=service, kafka_bootstrap_servers=self.kafka, mongodb_uri=self.mongodb,
                        mongodb_db_prefix=prefix, group_prefix=prefix, batch_timeout_ms=50)


def _stack_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("RSNMS_STACK_DIR", str(ROOT / ".stack-test"))
    env.setdefault("KAFKA_PORT", "39092")
    env.setdefault("KAFKA_CONTROLLER_PORT", "39093")
    env.setdefault("FERRETDB_PORT", "37017")
    env.setdefault("KAFKA_PARTITIONS", "3")
    return env


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    if os.environ.get("RSNMS_TEST_STACK") == "external":
        yield Infra(os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["MONGODB_URI"], dict(os.environ))
        return
    env = _stack_env()
    subprocess.run([str(STACK), "down"], env=env, check=False, capture_output=True)
    shutil.rmtree(env["RSNMS_STACK_DIR"], ignore_errors=True)
    up = subprocess.run([str(STACK), "up"], env=env, capture_output=True, text=True)
    if up.returncode != 0:
        pytest.fail(f"local stack did not start:\n{up.stdout}\n{up.stderr}")
    kafka = f"127.0.0.1:{env['KAFKA_PORT']}"
    mongodb = f"mongodb://127.0.0.1:{env['FERRETDB_PORT']}/"
    env.update(KAFKA_BOOTSTRAP_SERVERS=kafka, MONGODB_URI=mongodb)
    try:
        yield Infra(kafka, mongodb, env)
    finally:
        subprocess.run([str(STACK), "down"], env=env, check=False, capture_output=True)


@pytest.fixture
def prefix() -> str:
    """A fresh database / consumer-group prefix, so tests never see each other's state."""
    return "t" + uuid.uuid4().hex[:10]
