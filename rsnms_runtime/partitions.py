"""The partitions of topics, asked through the public admin API (no client internals)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


async def topic_partitions(kafka: str | Mapping[str, Any], topics: Sequence[str]) -> list[TopicPartition]:
    """Every partition of `topics`, in their order and by partition number; none for a topic that
    does not exist yet. Asks for the metadata of all topics, so nothing is auto-created. `kafka`:
    the bootstrap servers, or a client's options (`Settings.kafka_client()`)."""
    admin = AIOKafkaAdminClient(**client_options(kafka))
    await admin.start()
    try:
        described = await admin.describe_topics()
    finally:
        await admin.close()
    found = {t["topic"]: sorted(p["partition"] for p in t["partitions"]) for t in described if not t["error_code"]}
    return [TopicPartition(topic, p) for topic in topics for p in found.get(topic, ())]


def client_options(kafka: str | Mapping[str, Any]) -> dict[str, Any]:
    """An aiokafka client's options from bootstrap servers or from the options themselves."""
    return {"bootstrap_servers": kafka} if isinstance(kafka, str) else dict(kafka)
