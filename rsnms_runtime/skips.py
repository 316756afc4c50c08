"""Messages an operator skipped (`rsnms skip`): recorded with who, why and when in the operations
database (`<prefix>_ops.skips`, one document per group and position), dead-lettered by the
command, and passed over by the group's consumers, also while their handler is held up by them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

Position = tuple[str, int, int]


def ops_database(client: Any, db_prefix: str) -> AsyncDatabase:
    return client[f"{db_prefix}_ops"]


def position_text(position: Position) -> str:
    topic, partition, offset = position
    return f"{topic}:{partition}:{offset}"


def parse_position(text: str) -> Position:
    """`topic:partition:offset` (the topic may itself contain dots, not colons)."""
    topic, sep, rest = text.partition(":")
    partition, sep2, offset = rest.partition(":")
    if not (topic and sep and sep2 and partition.isdigit() and offset.isdigit()):
        raise ValueError(f"{text!r} is not TOPIC:PARTITION:OFFSET")
    return topic, int(partition), int(offset)


class SkipList:
    """The skips of one consumer group."""

    def __init__(self, db: AsyncDatabase, group: str):
        self._col = db["skips"]
        self.group = group

    @staticmethod
    def _id(group: str, position: Position) -> str:
        return f"{group}|{position_text(position)}"

    async def positions(self) -> set[Position]:
        return {
            (d["topic"], d["partition"], d["offset"])
            async for d in self._col.find({"group": self.group}, {"topic": 1, "partition": 1, "offset": 1})
        }

    async def record(self, position: Position, by: str, reason: str, dead_letter: str | None) -> bool:
        """Record a skip; False if this position was already skipped for the group."""
        topic, partition, offset = position
        claim = await self._col.update_one(
            {"_id": self._id(self.group, position)},
            {
                "$setOnInsert": {
                    "group": self.group,
                    "topic": topic,
                    "partition": partition,
                    "offset": offset,
                    "by": by,
                    "reason": reason,
                    "dead_letter": dead_letter,
                    "at": datetime.now(UTC),
                }
            },
            upsert=True,
        )
        return claim.upserted_id is not None

    async def all(self) -> list[dict[str, Any]]:
        return [d async for d in self._col.find({"group": self.group})]

    async def set_dead_letter(self, position: Position, ref: str) -> None:
        """Where the skip's dead letter is (`partition:offset` on the dead-letter topic)."""
        await self._col.update_one({"_id": self._id(self.group, position)}, {"$set": {"dead_letter": ref}})
