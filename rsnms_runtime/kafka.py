"""Kafka plumbing shared by the services: the broker with telemetry, topic creation,
publishing events, and the batch consumer that decodes, dead-letters, de-duplicates,
retries transient faults and only then lets the offsets be committed.

Ack policy is NACK_ON_ERROR on batch subscribers: offsets are committed after the
handler returned (state persisted, outgoing events confirmed by the broker); an
exception rewinds the partitions to the batch start, so delivery is at-least-once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.middlewares import AckPolicy
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider

from contracts import (
    INBOUND_TOPICS,
    TOPIC_EVENTS,
    ContractError,
    DeadLetter,
    Event,
    Topic,
    decode_for_topic,
    inbound_topic_of,
    topic_of,
)
from contracts.privacy import redact
from rsnms_runtime import metrics
from rsnms_runtime.logging import get_logger
from rsnms_runtime.mongo import ProcessedEvents
from rsnms_runtime.settings import Settings
from rsnms_runtime.sources import SourceGate, signed_headers
from rsnms_runtime.tracecontext import remote_context, standard_propagation, unsampled_parent

log = get_logger(__name__)

INBOUND = frozenset(str(t) for t in INBOUND_TOPICS)
#: how long a stopping service lets its batch in flight finish (below the usual 30 s kill grace)
GRACEFUL_TIMEOUT_S = 15.0


def _faststream_logger() -> logging.Logger:
    """FastStream's own messages (consumer loop errors) at WARNING and above, on stderr."""
    logger = logging.getLogger("rsnms.faststream")
    logger.setLevel(logging.WARNING)
    return logger


def make_broker(settings: Settings, tracer_provider: TracerProvider | None = None) -> KafkaBroker:
    middlewares = []
    if tracer_provider is not None:
        middlewares.append(KafkaTelemetryMiddleware(tracer_provider=tracer_provider))
    security = None
    if settings.kafka_username:
        from faststream.security import SASLScram512

        security = SASLScram512(username=settings.kafka_username, password=settings.kafka_password or "")
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"rsnms-{settings.service}",
        middlewares=middlewares,
        security=security,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        logger=_faststream_logger(),
        # stop() waits this long for the batch in flight to finish and commit; past it the
        # handler is cancelled and the uncommitted batch is redelivered to the next owner
        graceful_timeout=GRACEFUL_TIMEOUT_S,
    )


async def ensure_topics(settings: Settings, topics: Sequence[str], partitions: int = 3) -> None:
    """Create the platform's topics if they are missing (idempotent)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


def event_headers(event: Event) -> dict[str, str]:
    """The headers every event is published with (what it is, without decoding the value)."""
    return {
        "content-type": "application/json",
        "event_type": event.event_type,
        "event_id": str(event.event_id),
        "schema_version": str(event.schema_version),
    }


class EventPublisher:
    """Publishes events to their topics with the entity key; waits for the broker's ack.

    An outside system passes its secret key per source id (`keys`): what it publishes for
    such a source carries the signature the platform checks (rsnms_runtime.sources).
    """

    def __init__(self, broker: KafkaBroker, keys: dict[str, bytes] | None = None):
        self._broker = broker
        self._keys = keys or {}

    async def publish(self, event: Event, topic: str | None = None) -> None:
        topic = topic or str(topic_of(event))
        value, key = event.to_bytes(), event.key.encode()
        headers = event_headers(event)
        if event.source in self._keys:
            headers |= signed_headers(event.source, self._keys[event.source], topic, key, value)
        await self._broker.publish(value, topic=topic, key=key, headers=headers)

    async def publish_all(self, events: Sequence[Event], inbound: bool = False) -> None:
        """Publish concurrently (the producer batches them); `inbound` = as an outside system."""
        if events:
            await asyncio.gather(*(self.publish(e, str(inbound_topic_of(e)) if inbound else None) for e in events))

    async def dead_letter(self, letter: DeadLetter) -> None:
        await self._broker.publish(
            letter.model_dump_json().encode(),
            topic=str(Topic.DEAD_LETTER),
            key=(letter.key or "").encode() or None,
            headers={"content-type": "application/json", "error_kind": letter.error_kind, "consumer": letter.consumer},
        )


@dataclass(frozen=True)
class Incoming:
    """A decoded event with where it was read from."""

    event: Event
    topic: str
    partition: int
    offset: int
    raw: bytes

    @cached_property
    def event_id(self) -> str:
        return str(self.event.event_id)


@dataclass
class Outcome:
    """What a use case did with a batch: events to publish, events it refused (with why)."""

    emit: list[Event] = field(default_factory=list)
    rejected: list[tuple[Incoming, str]] = field(default_factory=list)


BatchHandler = Callable[[list[Incoming]], Awaitable[Outcome]]

TRANSIENT_RETRIES = 5


def _is_transient(exc: BaseException) -> bool:
    from aiokafka.errors import KafkaError
    from pymongo.errors import ConnectionFailure, NetworkTimeout, ServerSelectionTimeoutError

    return isinstance(
        exc,
        (
            ConnectionFailure,
            NetworkTimeout,
            ServerSelectionTimeoutError,
            KafkaError,
            ConnectionError,
            asyncio.TimeoutError,
            OSError,
        ),
    )


async def with_retries(fn: Callable[[], Awaitable[Any]], what: str) -> Any:
    """Bounded retries with exponential backoff for transient infrastructure faults.

    After the last attempt the error propagates: the batch is nacked (partitions
    rewound) and redelivered, so nothing is lost while the infrastructure is down.
    """
    delay = 0.2
    for attempt in range(1, TRANSIENT_RETRIES + 1):
        try:
            return await fn()
        except Exception as exc:
            if not _is_transient(exc) or attempt == TRANSIENT_RETRIES:
                raise
            log.warning("transient_fault", what=what, attempt=attempt, error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
    raise AssertionError("unreachable")


class BatchConsumer:
    """Turns a batch of Kafka records into a use-case call, safely.

    1. decode each record against the contracts; unparseable or invalid ones go to the
       dead-letter topic with the original bytes and the reason;
    2. skip events already applied (same id and content); an id re-used with other
       content is a conflict and is dead-lettered, never applied;
    3. call the use case (retrying transient faults), publish what it emits, dead-letter
       what it refused, mark the events as applied; only then return, so the caller
       commits the offsets.
    """

    def __init__(
        self,
        service: str,
        handler: BatchHandler,
        publisher: EventPublisher,
        ledger: ProcessedEvents,
        tracer: trace.Tracer | None = None,
        gate: SourceGate | None = None,
        drops_unsampled_parents: bool = False,
    ):
        self.service = service
        #: the aiokafka consumer behind the subscriber, known after the first batch (for lag)
        self.kafka_consumer: Any = None
        #: the FastStream subscriber feeding this consumer (its aiokafka consumer, for lag)
        self.subscriber: Any = None
        #: partitions whose lag this consumer last reported (cleared when they are revoked)
        self.lag_partitions: set[tuple[str, int]] = set()
        self._handler = handler
        self._publisher = publisher
        self._ledger = ledger
        self._tracer = tracer or trace.get_tracer("rsnms")
        self._gate = gate
        self._fast_trace_context = standard_propagation()
        #: the sampler never records a child of an unsampled remote parent (tracecontext)
        self._drops_unsampled_parents = drops_unsampled_parents
        #: set when partitions are assigned: another instance may have marked their events
        self.ledger_stale = True
        #: monotonic clock of the first partition assignment: when consuming began (benchmarks)
        self.first_assigned_at: float | None = None
        #: contexts of the latest applied events of sampled traces, for spans that summarise
        #: many (snapshots link to them)
        self.recent_traces: deque[trace.SpanContext] = deque(maxlen=256)

    def _letter(
        self, rec: Any, kind: str, error: str, event_id: str | None = None, event_type: str | None = None
    ) -> DeadLetter:
        original, redacted = redact(rec.value or b"")
        if redacted:
            error += " (personal data removed from the original kept here)"
        return DeadLetter(
            error_kind=kind,
            error=error,
            consumer=self.service,
            topic=rec.topic,
            partition=rec.partition,
            offset=rec.offset,
            key=rec.key.decode(errors="replace") if rec.key else None,
            event_id=event_id,
            event_type=event_type,
            original_b64=DeadLetter.encode_original(original),
            original_headers={k: v.decode(errors="replace") for k, v in (rec.headers or ()) if isinstance(v, bytes)},
            failed_at=datetime.now(UTC),
        )

    def _decode(self, records: Sequence[Any], letters: list[DeadLetter]) -> list[Incoming]:
        decoded: list[Incoming] = []
        for rec in records:
            try:
                event = decode_for_topic(rec.value or b"", rec.topic)
            except ContractError as exc:
                letters.append(self._letter(rec, exc.kind, exc.detail, exc.event_id, exc.event_type))
                continue
            if self._gate is not None and rec.topic in INBOUND:
                refusal = self._gate.check(event, rec.topic, rec.key, rec.value, rec.headers or ())
                if refusal:
                    letters.append(self._letter(rec, "unauthorized", refusal, str(event.event_id), event.event_type))
                    continue
            decoded.append(Incoming(event, rec.topic, rec.partition, rec.offset, rec.value))
        return decoded

    async def _fresh(
        self,
        decoded: list[Incoming],
        by_position: dict[tuple[str, int, int], Any],
        letters: list[DeadLetter],
        digests: dict[str, str],
    ) -> tuple[list[Incoming], int]:
        """Events not applied before (their content hashes into `digests`); duplicates counted,
        conflicting re-uses of an id dead-lettered."""
        if self.ledger_stale:
            await with_retries(self._ledger.refresh, "ledger")
            self.ledger_stale = False
        known = await with_retries(lambda: self._ledger.known(i.event_id for i in decoded), "ledger")
        fresh: list[Incoming] = []
        seen_in_batch: dict[str, str] = {}
        duplicates = 0
        for inc in decoded:
            eid, digest = inc.event_id, inc.event.content_hash()
            previous = known.get(eid) or seen_in_batch.get(eid)
            if previous is None:
                seen_in_batch[eid] = digests[eid] = digest
                fresh.append(inc)
            elif previous == digest or inc.event.has_content(previous):
                duplicates += 1  # has_content: a ledger entry may hold a legacy digest
            else:
                letters.append(
                    self._letter(
                        by_position[(inc.topic, inc.partition, inc.offset)],
                        "conflict",
                        f"event_id {eid} was already applied with different content",
                        eid,
                        inc.event.event_type,
                    )
                )
        return fresh, duplicates

    def _apply_spans(
        self, fresh: list[Incoming], by_position: dict[tuple[str, int, int], Any], start_ns: int
    ) -> dict[str, trace.Span]:
        """One span per applied event (keyed by event id), child of the trace its publisher
        started (W3C trace context in the Kafka headers); an event without one starts its own.

        This runs for every event, so it stays lean: only the trace headers are read (see
        `tracecontext`), and with a parent-based sampler an event of an unsampled trace gets no
        span of its own: its publisher's unsampled context stands for it."""
        spans: dict[str, trace.Span] = {}
        prefix = f"{self.service} apply "
        for inc in fresh:
            headers = by_position[(inc.topic, inc.partition, inc.offset)].headers
            context = remote_context(headers, self._fast_trace_context)
            if self._drops_unsampled_parents and (parent := unsampled_parent(context)) is not None:
                spans[inc.event_id] = parent
                continue
            # attributes at the start: the SDK copies them into a span it records (cheaper than
            # setting them afterwards) and ignores them when the sampler drops the span
            spans[inc.event_id] = self._tracer.start_span(
                prefix + inc.event.event_type,
                context=context,
                kind=trace.SpanKind.CONSUMER,
                start_time=start_ns,
                attributes={
                    "rsnms.service": self.service,
                    "rsnms.event_id": inc.event_id,
                    "rsnms.event_type": inc.event.event_type,
                    "rsnms.region": inc.event.region,
                    "messaging.destination.name": inc.topic,
                    "messaging.kafka.destination.partition": inc.partition,
                    "messaging.kafka.message.offset": inc.offset,
                },
            )
        return spans

    async def _publish_traced(
        self, events: Sequence[Event], fresh: list[Incoming], spans: dict[str, trace.Span]
    ) -> None:
        """Publish what the use case emitted; what it says about an entity continues the trace
        of the last event of that entity in the batch, so one trace follows an event across
        services."""
        if not events:
            return
        by_key = {inc.event.key: spans[inc.event_id] for inc in fresh}
        tasks = []
        for event in events:
            span = by_key.get(event.key)
            if span is None:
                tasks.append(asyncio.ensure_future(self._publisher.publish(event)))
                continue
            with trace.use_span(span, end_on_exit=False):
                tasks.append(asyncio.ensure_future(self._publisher.publish(event)))
        if tasks:
            await asyncio.gather(*tasks)

    async def _dead_letter(self, letter: DeadLetter) -> None:
        """Publish a dead letter and record it in the trace of the refused message."""
        span = self._tracer.start_span(
            f"{self.service} dead-letter",
            context=propagate.extract(letter.original_headers),
            attributes={
                "rsnms.error_kind": letter.error_kind,
                "rsnms.event_id": letter.event_id or "",
                "messaging.destination.name": letter.topic,
            },
        )
        span.set_status(trace.Status(trace.StatusCode.ERROR, letter.error_kind))
        with trace.use_span(span, end_on_exit=True):
            await with_retries(lambda: self._publisher.dead_letter(letter), "dead_letter")
            log.warning(
                "dead_lettered",
                error_kind=letter.error_kind,
                error=letter.error,
                topic=letter.topic,
                partition=letter.partition,
                offset=letter.offset,
                event_id=letter.event_id,
                event_type=letter.event_type,
            )

    async def process(self, records: Sequence[Any]) -> None:
        started, start_ns = time.perf_counter(), time.time_ns()
        letters: list[DeadLetter] = []
        by_position = {(r.topic, r.partition, r.offset): r for r in records}
        decoded = self._decode(records, letters)
        digests: dict[str, str] = {}
        fresh, duplicates = await self._fresh(decoded, by_position, letters, digests)
        spans = self._apply_spans(fresh, by_position, start_ns)
        try:
            outcome = await with_retries(lambda: self._handler(fresh), "handler") if fresh else Outcome()
            for inc, reason in outcome.rejected:
                letters.append(
                    self._letter(
                        by_position[(inc.topic, inc.partition, inc.offset)],
                        "rejected",
                        reason,
                        inc.event_id,
                        inc.event.event_type,
                    )
                )
            await with_retries(lambda: self._publish_traced(outcome.emit, fresh, spans), "publish")
            for letter in letters:
                await self._dead_letter(letter)
            refused = {i.event_id for i, _ in outcome.rejected}
            await with_retries(
                lambda: self._ledger.mark([(eid, digest) for eid, digest in digests.items() if eid not in refused]),
                "ledger",
            )
            applied = [inc for inc in fresh if inc.event_id not in refused]
            sampled = [ctx for inc in applied if (ctx := spans[inc.event_id].get_span_context()).trace_flags.sampled]
            self.recent_traces.extend(sampled[-(self.recent_traces.maxlen or 0) :])
            if log.is_enabled_for(logging.DEBUG):
                for inc in applied:
                    with trace.use_span(spans[inc.event_id], end_on_exit=False):
                        log.debug(
                            "event_applied",
                            event_id=inc.event_id,
                            event_type=inc.event.event_type,
                            region=inc.event.region,
                            topic=inc.topic,
                            partition=inc.partition,
                            offset=inc.offset,
                        )
        except Exception as exc:
            for span in spans.values():
                span.record_exception(exc)
                span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            for span in spans.values():
                span.end()

        metrics.observe_batch(
            self.service, records, fresh, duplicates, letters, len(outcome.emit), time.perf_counter() - started
        )
        log.info(
            "batch_processed",
            records=len(records),
            applied=len(fresh) - len(refused),
            duplicates=duplicates,
            dead_lettered=len(letters),
            emitted=len(outcome.emit),
        )


async def update_lag(consumer: BatchConsumer) -> dict[tuple[str, int], int]:
    """Consumer lag per assigned partition, also set as the `rsnms_consumer_lag` gauge.

    Lag = the broker's end offset - the group's committed offset (the beginning of the
    partition while nothing is committed), as `kafka-consumer-groups` reports it. Both
    are asked of the broker, so the value is right while the consumer is paused or its
    handler is blocked: a batch in flight still counts until its offsets are committed.
    """
    kc = consumer.subscriber.consumer if consumer.subscriber is not None else None
    kc = kc or consumer.kafka_consumer
    if kc is None:
        return {}
    assigned = sorted(kc.assignment())
    ends = await kc.end_offsets(assigned) if assigned else {}
    committed = {tp: await kc.committed(tp) for tp in assigned}
    never = [tp for tp, offset in committed.items() if offset is None]
    starts = await kc.beginning_offsets(never) if never else {}
    lags = {
        (tp.topic, tp.partition): max(0, ends[tp] - (starts[tp] if committed[tp] is None else committed[tp]))
        for tp in assigned
    }
    consumer.lag_partitions = metrics.set_lag(consumer.service, lags, consumer.lag_partitions)
    return lags


async def _raw_body(msg: Any, original: Any = None) -> Any:
    return msg.body


class LedgerRefresh(ConsumerRebalanceListener):
    """On every assignment, have the ledger index reloaded before the next batch (the events of
    newly assigned partitions may have been marked by their previous owner)."""

    def __init__(self, consumer: BatchConsumer):
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self._consumer.ledger_stale = True
        self._consumer.first_assigned_at = self._consumer.first_assigned_at or time.perf_counter()


def subscribe_batch(
    broker: KafkaBroker, settings: Settings, topics: Sequence[str], consumer: BatchConsumer, group_suffix: str = ""
) -> Any:
    """Register a batch subscriber that hands raw records to `consumer` and commits after it."""

    async def on_batch(body: Any, message: KafkaMessage) -> None:
        records = message.raw_message if isinstance(message.raw_message, tuple) else (message.raw_message,)
        try:
            await consumer.process(records)
        except Exception as exc:
            metrics.FAILED.labels(consumer.service).inc()
            log.error(
                "batch_failed",
                records=len(records),
                error=f"{type(exc).__name__}: {exc}",
                first=f"{records[0].topic}:{records[0].partition}@{records[0].offset}",
                exc_info=True,
            )
            await asyncio.sleep(1.0)  # back off before the rewound batch is fetched again
            raise
        finally:
            consumer.kafka_consumer = message.consumer

    subscriber = broker.subscriber(
        *topics,
        batch=True,
        listener=LedgerRefresh(consumer),
        group_id=settings.group_id + group_suffix,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        # co-partitioning: partition p of every topic goes to the same instance, so all the
        # events of one entity (same key, same partition number) are folded by one owner
        partition_assignment_strategy=(RangePartitionAssignor,),
        max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms,
        decoder=_raw_body,
        title=f"{','.join(topics)}:{settings.service}",
        description="Accepts: " + ", ".join(sorted({k for t in topics for k in TOPIC_EVENTS.get(Topic(t), ())})),
    )
    subscriber(on_batch)
    consumer.subscriber = subscriber
    return subscriber
