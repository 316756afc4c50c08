"""`ensure_topics` raising `max.message.bytes` on an existing topic (kafka._raise_message_limit):
AlterConfigs replaces a topic's own settings, so a topic whose settings could not be described is
left alone rather than altered without them. The real broker's side is in
tests/infra/test_publisher.py."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from rsnms_runtime.kafka import MAX_MESSAGE_BYTES, _raise_message_limit

TOPIC_SOURCE = 1  # DescribeConfigs: set on the topic itself


class FakeAdmin:
    def __init__(self, described: list[tuple[int, str, int, str, list[tuple[Any, ...]]]]):
        self.described, self.altered = described, []

    async def describe_configs(self, resources: list[Any]) -> list[Any]:
        return [SimpleNamespace(resources=self.described)]

    async def alter_configs(self, resources: list[Any]) -> list[Any]:
        self.altered.extend(resources)
        return [SimpleNamespace(resources=[(0, None, 2, r.name) for r in resources])]


async def test_a_topic_below_the_limit_is_altered_with_its_own_settings() -> None:
    admin = FakeAdmin([(0, "", 2, "t", [("max.message.bytes", "1048588", False, TOPIC_SOURCE, False),
                                          ("retention.ms", "3600000", False, TOPIC_SOURCE, False),
                                          ("segment.bytes", "1073741824", False, 5, False)])])  # fmt: skip
    await _raise_message_limit(admin, ["t"])  # type: ignore[arg-type]
    [change] = admin.altered
    assert change.configs == {"max.message.bytes": str(MAX_MESSAGE_BYTES), "retention.ms": "3600000"}


async def test_a_topic_whose_settings_could_not_be_described_is_left_alone() -> None:
    admin = FakeAdmin([(29, "Topic authorization failed", 2, "t", [])])
    await _raise_message_limit(admin, ["t"])  # type: ignore[arg-type]
    assert admin.altered == []
