"""The portal's subscription: the aggregate feed (indicator tables, passport snapshots) and the
organizations of the registry facts, read from the beginning of the log by every portal
instance (no consumer group, nothing committed: the view is rebuilt on start) and folded into
the Board. Other registry facts are skipped by their `event_type` header without decoding."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterable

from aiokafka import AIOKafkaConsumer

from contracts import EVENT_CLASSES, MAX_EVENT_BYTES, ContractError, Event, Topic, decode_event, upcast
from rsnms_runtime.logging import get_logger
from services.portal.domain.board import Board

TOPICS = (str(Topic.AGGREGATES), str(Topic.PASSPORTS), str(Topic.REGISTRY_FACTS))
WANTED = {"IndicatorsPublished", "PassportSnapshotTaken", "OrganizationRegistered", "RoundsSummaryPublished"}

log = get_logger("rsnms.portal.feed")

#: the indicators service's own output may exceed the inbound size limit (the table of a region
#: with hundreds of organizations is several hundred kilobytes); Kafka's message limit bounds it
PUBLISHED_BY_THE_PLATFORM = {str(Topic.AGGREGATES), str(Topic.PASSPORTS)}


def decode_feed(value: bytes, topic: str) -> Event:
    """decode_event, without the inbound size limit for what the indicators service published."""
    if len(value) <= MAX_EVENT_BYTES or topic not in PUBLISHED_BY_THE_PLATFORM:
        return decode_event(value)
    try:
        doc = upcast(json.loads(value))
        return EVENT_CLASSES[doc["event_type"]].model_validate(doc)
    except (ValueError, KeyError, TypeError) as exc:
        raise ContractError("invalid", f"{type(exc).__name__}: {exc}") from None


class Changes:
    """Wakes the pages' live streams when a region's figures change."""

    def __init__(self) -> None:
        self._version: dict[str, int] = {}
        self._event = asyncio.Event()

    def version(self, region: str) -> int:
        return self._version.get(region, 0)

    def mark(self, regions: Iterable[str]) -> None:
        for region in regions:
            self._version[region] = self.version(region) + 1
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)


class AggregateFeed:
    def __init__(
        self,
        bootstrap: str,
        board: Board,
        changes: Changes,
        on_change: Callable[[str], None] = lambda _: None,
        **consumer_options: object,
    ):
        self.board, self.changes, self._on_change = board, changes, on_change
        self._options: dict[str, object] = {
            "bootstrap_servers": bootstrap,
            "group_id": None,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            **consumer_options,
        }
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self.skipped = 0

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(*TOPICS, **self._options)  # aiokafka wants the running loop
        await self._consumer.start()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self._consumer is not None
        while True:
            try:
                batches = await self._consumer.getmany(timeout_ms=500, max_records=5000)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the broker may be away for a while
                log.warning("portal_feed_failed", error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(1.0)
                continue
            events = []
            for records in batches.values():
                for record in records:
                    kind = dict(record.headers or ()).get("event_type", b"").decode(errors="replace")
                    if kind and kind not in WANTED:
                        continue
                    try:
                        event = decode_feed(record.value, record.topic)
                    except ContractError as exc:
                        # the indicators service dead-letters its own input; here a bad record is skipped
                        self.skipped += 1
                        log.warning("portal_feed_skipped", topic=record.topic, offset=record.offset, error=str(exc))
                        continue
                    if event.event_type in WANTED:
                        events.append(event)
            changed = self.board.apply(events)
            for region in changed:
                self._on_change(region)
            if changed:
                self.changes.mark(changed)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()
