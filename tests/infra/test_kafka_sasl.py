"""A cluster that authenticates its clients (SASL/SCRAM-SHA-512: `KAFKA_USERNAME`,
`KAFKA_PASSWORD`), in the clear and over TLS (`KAFKA_SSL_CAFILE`, the broker's certificate
checked): every Kafka client of the platform signs in, not only the services' broker:
topic creation, a service's batch consumer and its lag, the publisher, the operator's tools
(partitions, reading a record, readiness). Without credentials or with a wrong password the
broker's SASL listener lets nothing through; over TLS, a broker certificate of another CA is
refused."""

from __future__ import annotations

import asyncio
import subprocess

import pytest
from aiokafka import TopicPartition

from contracts import Topic
from rsnms_runtime.kafka import EventPublisher, Incoming, Outcome, ensure_topics, make_broker
from rsnms_runtime.localstack import SASL_PASSWORD, SASL_USER
from rsnms_runtime.partitions import topic_partitions
from rsnms_runtime.probe import kafka_ready
from rsnms_runtime.service import ServiceRuntime
from rsnms_runtime.settings import Settings
from rsnms_runtime.stuck import read_at
from tests.support.factories import educator_registered, region_code

pytestmark = pytest.mark.infra
TOPIC = str(Topic.REGISTRY_SUBMITTED)


def _settings(infra, service: str, prefix: str, password: str = SASL_PASSWORD, tls: bool = False) -> Settings:
    listener = infra.kafka_tls if tls else infra.kafka_sasl
    if listener is None:
        pytest.skip("the stack has no such listener")
    return Settings(
        service=service,
        kafka_bootstrap_servers=listener,
        kafka_ssl_cafile=infra.kafka_cafile if tls else None,
        kafka_username=SASL_USER,
        kafka_password=password,
        mongodb_uri=infra.mongodb,
        mongodb_db_prefix=prefix,
        group_prefix=prefix,
        batch_timeout_ms=50,
    )


@pytest.mark.parametrize("tls", [False, True], ids=["sasl", "sasl-over-tls"])
async def test_every_kafka_client_of_the_platform_signs_in(infra, prefix, tls):
    settings = _settings(infra, f"sasl{prefix}", prefix, tls=tls)
    await ensure_topics(settings, [TOPIC], partitions=3)
    assert await kafka_ready(settings.kafka_client()) is None
    assert TopicPartition(TOPIC, 0) in await topic_partitions(settings.kafka_client(), [TOPIC])

    event = educator_registered(region_code(), 1)
    seen: list[Incoming] = []
    handled = asyncio.Event()

    async def handler(batch: list[Incoming]) -> Outcome:
        seen.extend(i for i in batch if i.event.event_id == event.event_id)
        if seen:
            handled.set()
        return Outcome()

    runtime = ServiceRuntime(settings, gate=None)
    runtime.consume([TOPIC], handler)
    await runtime.start()
    broker = make_broker(settings)
    await broker.start()
    try:
        await EventPublisher(broker).publish(event, topic=TOPIC)
        await asyncio.wait_for(handled.wait(), 60)
    finally:
        await broker.stop()
        await runtime.stop()
    [incoming] = seen

    record = await read_at(settings, (incoming.topic, incoming.partition, incoming.offset))
    assert record is not None and str(event.event_id).encode() in record.value


async def test_a_wrong_password_or_no_credentials_get_nothing(infra, prefix):
    wrong = _settings(infra, "ops", prefix, password="not-the-password")
    assert await kafka_ready(wrong.kafka_client(), timeout=5) is not None
    assert await kafka_ready(wrong.kafka_bootstrap_servers, timeout=5) is not None


async def test_over_tls_a_broker_certificate_of_another_ca_is_refused(infra, prefix, tmp_path):
    settings = _settings(infra, "ops", prefix, tls=True)
    assert await kafka_ready(settings.kafka_client(), timeout=5) is None
    other = tmp_path / "other-ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=another CA",
         "-keyout", str(tmp_path / "other.key"), "-out", str(other)],
        check=True, capture_output=True,
    )  # fmt: skip
    untrusted = settings.model_copy(update={"kafka_ssl_cafile": str(other)})
    assert await kafka_ready(untrusted.kafka_client(), timeout=5) is not None
