"""An in-memory `Publisher` (rsnms_runtime.kafka) for unit tests: it keeps what a service
published, in order, with the topic each event went to."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Sequence
from typing import Any

from contracts import DeadLetter, Event, inbound_topic_of, topic_of


class RecordingPublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Event]] = []
        self.dead_letters: list[DeadLetter] = []

    @property
    def events(self) -> list[Event]:
        return [event for _, event in self.sent]

    async def publish(self, event: Event, topic: str | None = None) -> None:
        self.sent.append((topic or str(topic_of(event)), event))

    async def publish_many(self, events: Sequence[tuple[Event, Any]]) -> None:
        for event, _ in events:
            await self.publish(event)

    async def publish_all(
        self,
        events: Iterable[Event] | AsyncIterable[Event],
        inbound: bool = False,
        window: int = 0,
        topic: str | None = None,
    ) -> int:
        items = [e async for e in events] if isinstance(events, AsyncIterable) else list(events)
        for event in items:
            await self.publish(event, topic or (str(inbound_topic_of(event)) if inbound else None))
        return len(items)

    async def dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters.append(letter)
