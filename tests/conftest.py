"""Test fixtures: the real local infrastructure, started by the project itself.

Tests marked `infra` get a dedicated stack (Apache Kafka + FerretDB) on test ports and
a fresh data directory, started once per session through `deploy/local/stack` and
stopped at the end; its Kafka also listens for SASL/SCRAM clients, in the clear and over TLS
(`Infra.kafka_sasl`, `Infra.kafka_tls`). RSNMS_TEST_STACK_NAME and RSNMS_TEST_PORTS
("kafka,controller,ferretdb[,sasl[,tls]]") move that stack elsewhere, so two test runs on one
machine do not collide. Its ports lie below the kernel's ephemeral range (32768-60999): there, an outgoing connection could take the port
and a restarted broker would fail to bind it. Set RSNMS_TEST_STACK=external with KAFKA_BOOTSTRAP_SERVERS and
MONGODB_URI to use a stack that is already running instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from rsnms_runtime.localstack import ROOT, STACK, LocalStack

__all__ = ["ROOT", "STACK"]


@dataclass(frozen=True)
class Infra:
    kafka: str
    mongodb: str
    env: dict[str, str]
    #: the broker's SASL/SCRAM-SHA-512 listener (`rsnms_runtime.localstack.SASL_USER`), if any
    kafka_sasl: str | None = None
    #: the same over TLS (SASL_SSL), and the CA its certificate is signed by
    kafka_tls: str | None = None
    kafka_cafile: str | None = None

    def settings(self, service: str, prefix: str) -> object:
        from rsnms_runtime.settings import Settings

        return Settings(
            service=service,
            kafka_bootstrap_servers=self.kafka,
            mongodb_uri=self.mongodb,
            mongodb_db_prefix=prefix,
            group_prefix=prefix,
            batch_timeout_ms=50,
        )


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    if os.environ.get("RSNMS_TEST_STACK") == "external":
        yield Infra(os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["MONGODB_URI"], dict(os.environ))
        return
    ports = [int(p) for p in os.environ.get("RSNMS_TEST_PORTS", "19092,19093,17017").split(",")]
    kafka, controller, ferretdb = ports[:3]
    stack = LocalStack(
        os.environ.get("RSNMS_TEST_STACK_NAME", "test"),
        kafka_port=kafka,
        controller_port=controller,
        ferretdb_port=ferretdb,
        sasl_port=ports[3] if len(ports) > 3 else kafka + 2,
        tls_port=ports[4] if len(ports) > 4 else kafka + 3,
    )
    try:
        stack.fresh_up()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield Infra(stack.kafka, stack.mongodb, stack.env, stack.kafka_sasl, stack.kafka_tls, stack.tls_cafile)
    finally:
        stack.down()


@pytest.fixture
def prefix() -> str:
    """A fresh database / consumer-group prefix, so tests never see each other's state."""
    return "t" + uuid.uuid4().hex[:10]
