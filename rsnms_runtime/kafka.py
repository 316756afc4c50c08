"""Kafka plumbing shared by the services: the broker with telemetry, topic creation, the
publisher (bounded in flight, so any number of events can be streamed), and the subscriber glue
that feeds a `BatchConsumer` (rsnms_runtime.consumer) and commits its offsets.

Ack policy is MANUAL on batch subscribers, the commit being the consumer's last stage: offsets
are committed after `BatchConsumer.process` returned (state persisted, outgoing events and dead
letters confirmed by the broker); when it raises (the infrastructure is down), the partitions are
rewound to the batch start, so delivery is at-least-once. On a rebalance the revocation waits for
the batch in flight to finish and commit, so the next owner does not redo it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterable, Iterable, Sequence
from typing import Any, Protocol

from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.structs import TopicPartition
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.middlewares import AckPolicy
from faststream.security import BaseSecurity, SASLScram512
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider

from contracts import TOPIC_EVENTS, DeadLetter, Event, Topic, inbound_topic_of, topic_of
from rsnms_runtime import metrics
from rsnms_runtime.consumer import BatchConsumer, BatchHandler, Incoming, Outcome
from rsnms_runtime.faults import describe, with_retries
from rsnms_runtime.logging import get_logger
from rsnms_runtime.partitioner import KeyPartitioner
from rsnms_runtime.producing import OutRecord, send_batched
from rsnms_runtime.settings import Settings
from rsnms_runtime.sources import signed_headers

__all__ = [
    "BatchConsumer",
    "BatchHandler",
    "EventPublisher",
    "Incoming",
    "Outcome",
    "Publisher",
    "ensure_topics",
    "event_headers",
    "make_broker",
    "subscribe_batch",
    "update_lag",
    "with_retries",
]

log = get_logger(__name__)

#: how long a stopping service lets its batch in flight finish (below the usual 30 s kill grace)
GRACEFUL_TIMEOUT_S = 15.0
#: events a publisher has in flight at most (`publish_all`): the producer's buffer is never
#: overrun, so a stream of any length goes out at the broker's pace instead of timing out
PUBLISH_WINDOW = 2000


def _faststream_logger() -> logging.Logger:
    """FastStream's own messages (consumer loop errors) at WARNING and above, on stderr."""
    logger = logging.getLogger("rsnms.faststream")
    logger.setLevel(logging.WARNING)
    return logger


def make_broker(settings: Settings, tracer_provider: TracerProvider | None = None) -> KafkaBroker:
    middlewares = []
    if tracer_provider is not None:
        middlewares.append(KafkaTelemetryMiddleware(tracer_provider=tracer_provider))
    security: BaseSecurity | None = None
    tls = settings.kafka_ssl_context()
    if settings.kafka_username:
        security = SASLScram512(
            username=settings.kafka_username, password=settings.kafka_password or "", ssl_context=tls
        )
    elif tls is not None:
        security = BaseSecurity(ssl_context=tls)
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"rsnms-{settings.service}",
        middlewares=middlewares,
        security=security,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        # a batch's output goes out in a burst: 16 KB record batches (the default) made every
        # send wait for the previous batch to drain
        max_batch_size=512 * 1024,
        max_request_size=MAX_MESSAGE_BYTES,
        partitioner=KeyPartitioner(),
        logger=_faststream_logger(),
        # stop() waits this long for the batch in flight to finish and commit; past it the
        # handler is cancelled and the uncommitted batch is redelivered to the next owner
        graceful_timeout=GRACEFUL_TIMEOUT_S,
    )


#: the largest event the platform publishes or accepts: a large region's live indicator table
#: (`IndicatorsPublished`, values down to every organization) is over Kafka's default 1 MB
#: (1.26 MB for a region of 34,000 educators and 1,200 schools); topics are created with it
MAX_MESSAGE_BYTES = 8 * 1024 * 1024


async def ensure_topics(settings: Settings, topics: Sequence[str], partitions: int = 3) -> None:
    """Create the platform's topics if they are missing (idempotent), each taking messages up to
    `MAX_MESSAGE_BYTES` (`max.message.bytes`); an existing topic with a lower limit (created by an
    earlier version, or by hand) has it raised, its other settings kept."""
    admin = AIOKafkaAdminClient(**settings.kafka_client())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        await _raise_message_limit(admin, [t for t in topics if t in existing])
        missing = [
            NewTopic(
                t,
                num_partitions=partitions,
                replication_factor=1,
                topic_configs={"max.message.bytes": str(MAX_MESSAGE_BYTES)},
            )
            for t in topics
            if t not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


#: `DescribeConfigs` v1+: where a setting comes from; 1 = set on the topic itself
_TOPIC_CONFIG_SOURCE = 1


async def _raise_message_limit(admin: AIOKafkaAdminClient, topics: list[str]) -> None:
    """Raise `max.message.bytes` to `MAX_MESSAGE_BYTES` on the topics below it. `AlterConfigs`
    replaces a topic's whole set of settings, so the ones set on the topic are sent along."""
    if not topics:
        return
    described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in topics])
    changes = []
    for response in described:
        for error, message, _type, name, entries in response.resources:
            if error:
                # without the topic's own settings an AlterConfigs would drop them: leave it alone
                log.warning("topic_limit_not_raised", topic=name, error=error, reason=message)
                continue
            values = {e[0]: e[1] for e in entries}
            if int(values.get("max.message.bytes") or 0) >= MAX_MESSAGE_BYTES:
                continue
            own = {e[0]: e[1] for e in entries if e[3] == _TOPIC_CONFIG_SOURCE and not e[4]}
            own["max.message.bytes"] = str(MAX_MESSAGE_BYTES)
            changes.append(ConfigResource(ConfigResourceType.TOPIC, name, configs=own))
    if not changes:
        return
    for response in await admin.alter_configs(changes):
        for error, message, _type, name in response.resources:
            if error:
                log.warning("topic_limit_not_raised", topic=name, error=error, reason=message)
            else:
                log.info("topic_limit_raised", topic=name, max_message_bytes=MAX_MESSAGE_BYTES)


def event_headers(event: Event) -> dict[str, str]:
    """The headers every event is published with (what it is, without decoding the value)."""
    return {
        "content-type": "application/json",
        "event_type": event.event_type,
        "event_id": str(event.event_id),
        "schema_version": str(event.schema_version),
    }


class Publisher(Protocol):
    """What a service needs to put events on the bus (port): `EventPublisher` on the broker,
    an in-memory fake in unit tests."""

    async def publish(self, event: Event, topic: str | None = None) -> None: ...

    async def publish_many(self, events: Sequence[tuple[Event, trace.Span | None]]) -> None: ...

    async def publish_all(
        self,
        events: Iterable[Event] | AsyncIterable[Event],
        inbound: bool = False,
        window: int = PUBLISH_WINDOW,
        topic: str | None = None,
    ) -> int: ...

    async def dead_letter(self, letter: DeadLetter) -> None: ...


class EventPublisher:
    """Publishes events to their topics with the entity key; waits for the broker's ack.

    An outside system passes its secret key per source id (`keys`): what it publishes for
    such a source carries the signature the platform checks (rsnms_runtime.sources).
    """

    def __init__(self, broker: KafkaBroker, keys: dict[str, bytes] | None = None):
        self._broker = broker
        self._keys = keys or {}
        #: partitions what goes out in batches as the broker's producer partitions the rest
        self._partitioner = KeyPartitioner()

    def _record(self, event: Event, topic: str | None = None) -> tuple[str, bytes, bytes, dict[str, str]]:
        topic = topic or str(topic_of(event))
        value, key = event.to_bytes(), event.key.encode()
        headers = event_headers(event)
        if event.source in self._keys:
            headers |= signed_headers(event.source, self._keys[event.source], topic, key, value)
        return topic, value, key, headers

    async def publish(self, event: Event, topic: str | None = None) -> None:
        topic, value, key, headers = self._record(event, topic)
        await self._broker.publish(value, topic=topic, key=key, headers=headers)

    def _producer(self) -> Any:
        """The broker's aiokafka producer once it is connected (FastStream 0.7 keeps it there)."""
        state = getattr(getattr(self._broker, "_producer", None), "_producer", None)
        return getattr(state, "producer", None)

    async def publish_many(self, events: Sequence[tuple[Event, trace.Span | None]]) -> None:
        """Publish what a batch emitted: each event sent to the broker's producer in turn and
        the acks awaited together, each with the W3C trace context of its span (the trace of
        the event it came from continues). FastStream's per-message publish (command, middlewares,
        a task each) costs about nine times the send itself (docs/benchmarks/pipeline.md); they go
        to it as record batches (`send_batched`)."""
        producer = self._producer()
        if producer is None:
            await asyncio.gather(*(self.publish(e) for e, _ in events))
            return
        records: list[OutRecord] = []
        for event, span in events:
            topic, value, key, headers = self._record(event)
            if span is not None:
                propagate.inject(headers, context=trace.set_span_in_context(span))
            records.append((topic, value, key, [(k, v.encode()) for k, v in headers.items()]))
        await asyncio.gather(*await send_batched(producer, self._partitioner, records))

    async def publish_all(
        self,
        events: Iterable[Event] | AsyncIterable[Event],
        inbound: bool = False,
        window: int = PUBLISH_WINDOW,
        topic: str | None = None,
    ) -> int:
        """Publish any number of events (a sequence, or a generator that makes them as it goes)
        with at most `window` awaiting the broker's ack: the producer batches them, and the
        stream goes out at the broker's pace instead of overrunning the producer's buffer.
        `inbound` = as an outside system; `topic` = all to this topic. Raises the first failure after the sends in flight
        ended. The number of events published."""
        pending: set[asyncio.Future[None]] = set()
        sent = 0

        async def drain(limit: int) -> None:
            nonlocal pending
            while len(pending) > limit:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task.exception() is not None:
                        await asyncio.gather(*pending, return_exceptions=True)
                        pending = set()
                        raise task.exception()  # type: ignore[misc]

        async def each() -> Any:
            if isinstance(events, AsyncIterable):
                async for event in events:
                    yield event
            else:
                for event in events:
                    yield event

        async for event in each():
            target = topic or (str(inbound_topic_of(event)) if inbound else None)
            pending.add(asyncio.ensure_future(self.publish(event, target)))
            sent += 1
            if len(pending) >= window:
                await drain(window // 2)
        await drain(0)
        return sent

    async def dead_letter(self, letter: DeadLetter) -> None:
        await self._broker.publish(
            letter.model_dump_json().encode(),
            topic=str(Topic.DEAD_LETTER),
            key=(letter.key or "").encode() or None,
            headers={"content-type": "application/json", "error_kind": letter.error_kind, "consumer": letter.consumer},
        )


async def update_lag(consumer: BatchConsumer) -> dict[tuple[str, int], int]:
    """`consumer.update_lag()`: lag per assigned partition (and the stuck ones found)."""
    return await consumer.update_lag()


async def _raw_body(msg: Any, original: Any = None) -> Any:
    return msg.body


class Rebalance(ConsumerRebalanceListener):
    """Tells the consumer what it is assigned and revoked (a revocation waits for the batch in
    flight to commit)."""

    def __init__(self, consumer: BatchConsumer):
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self._consumer.revoked(revoked)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self._consumer.assigned(assigned)


def rewind(kafka_consumer: Any, records: Sequence[Any]) -> None:
    """Seek each partition of `records` still assigned to `kafka_consumer` back to its first
    record there (FastStream's `nack` seeks every one, which fails for a partition not assigned)."""
    assigned = kafka_consumer.assignment()
    earliest: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        earliest[tp] = min(record.offset, earliest.get(tp, record.offset))
    for tp, offset in earliest.items():
        if tp in assigned:
            kafka_consumer.seek(tp, offset)


def subscribe_batch(
    broker: KafkaBroker, settings: Settings, topics: Sequence[str], consumer: BatchConsumer, group_suffix: str = ""
) -> Any:
    """Register a batch subscriber that hands raw records to `consumer` and commits after it."""

    async def on_batch(body: Any, message: KafkaMessage) -> None:
        records = message.raw_message if isinstance(message.raw_message, tuple) else (message.raw_message,)
        consumer.batch_started(message.consumer)
        try:
            if consumer.fetched_before_revocation():
                # partitions moved between its fetch and now: whoever owns them reads them again
                # from the committed offsets (so do we, for those we kept)
                log.info("batch_handed_back_after_rebalance", records=len(records))
                rewind(message.consumer, records)
                return
            try:
                await consumer.process(records)
            except Exception as exc:
                metrics.FAILED.labels(consumer.service).inc()
                log.error(
                    "batch_failed",
                    records=len(records),
                    error=describe(exc),
                    first=f"{records[0].topic}:{records[0].partition}@{records[0].offset}",
                    exc_info=True,
                )
                await message.nack()  # rewinds every partition of the batch to its first record
                await asyncio.sleep(1.0)  # back off before the rewound batch is fetched again
                return
            committing = time.perf_counter()
            try:
                await message.ack()
            except Exception as exc:  # noqa: BLE001 - e.g. the group rebalanced: the next owner redoes it
                log.warning("commit_failed", records=len(records), error=describe(exc))
            consumer.committed(time.perf_counter() - committing)
        finally:
            consumer.batch_done()

    subscriber = broker.subscriber(
        *topics,
        batch=True,
        listener=Rebalance(consumer),
        group_id=settings.group_id + group_suffix,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        # co-partitioning: partition p of every topic goes to the same instance, so all the
        # events of one entity (same key, same partition number) are folded by one owner
        partition_assignment_strategy=(RangePartitionAssignor,),
        max_records=settings.batch_max_records,
        # how long the broker waits for a member to rejoin during a rebalance: longer than a
        # revocation may wait for the batch in flight to commit (aiokafka's default is the 10 s
        # session timeout, after which the member is dropped and its commit refused)
        rebalance_timeout_ms=int((GRACEFUL_TIMEOUT_S + 15) * 1000),
        # heartbeats run on the event loop: a full collection of a national state's heap holds it
        # for 9-14 s (docs/benchmarks/pipeline.md, session 14), and a member dropped for it makes
        # the group rebalance and the service read its state back
        session_timeout_ms=settings.session_timeout_ms,
        batch_timeout_ms=settings.batch_timeout_ms,
        # one fetch per broker is in flight, for the partitions with nothing buffered: held up to
        # this long at the broker when they are idle, it delays the busy partitions' next records
        # as long (docs/benchmarks/pipeline.md, Latency), and every consumer asks again as often
        # when nothing comes (the cost of an idle platform; 100 ms: session 12)
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        # and answered once it has this much (or the wait is over): with Kafka's default of one
        # byte every new record answers every waiting fetch, a request each that the broker pays
        # for (docs/benchmarks/pipeline.md, session 7)
        fetch_min_bytes=settings.fetch_min_bytes,
        decoder=_raw_body,
        title=f"{','.join(topics)}:{settings.service}",
        description="Accepts: " + ", ".join(sorted({k for t in topics for k in TOPIC_EVENTS.get(Topic(t), ())})),
    )
    subscriber(on_batch)
    consumer.attach(subscriber)
    return subscriber
