"""The batch consumer: turns a batch of Kafka records into one use-case call, safely, in named
stages, and keeps track of whether its partitions advance.

    decode and authorize → dead-letter → de-duplicate → apply → publish → (the subscriber) commit

- decode/authorize: each record against the contracts and the source policy; refusals become
  dead letters; records an operator skipped are passed over;
- de-duplicate: events already applied (same id and content) are skipped; an id re-used with
  other content is a conflict, dead-lettered;
- apply: the use case, transient faults retried with back-off up to a bound. A batch that still
  fails is split to find the messages it fails on; those are dead-lettered as `failed` with the
  reason and the rest is applied, so no message stops a partition. Only while the broker or the
  database is down is nothing dead-lettered: the batch is handed back and retried;
- publish: what the use case emitted, then the dead letters (each one bounded, so it fits);
- then the ledger is marked and the caller commits the offsets.

Nothing of a consumer is set from outside: the subscriber glue calls `process`, `assigned`,
`revoked` and `batch_done`; the runtime reads `update_lag`, `stuck` and `recent_traces`; a use
case may read `published`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Self

from opentelemetry import propagate, trace

from contracts import INBOUND_TOPICS, ContractError, DeadLetter, Event, decode_for_topic
from contracts.codec import EVENT_CLASSES
from contracts.deadletter import ErrorKind
from contracts.envelope import built_from_checked_text
from rsnms_runtime import metrics
from rsnms_runtime.deadletters import letter_for, without_original
from rsnms_runtime.faults import DEFAULT_RETRIES, RetryPolicy, describe, is_transient
from rsnms_runtime.heap import HeapKeeper
from rsnms_runtime.logging import get_logger
from rsnms_runtime.skips import Position, SkipList
from rsnms_runtime.sources import SourceGate
from rsnms_runtime.tracecontext import remote_context, standard_propagation, unsampled_parent

if TYPE_CHECKING:
    from rsnms_runtime.kafka import Publisher
    from rsnms_runtime.mongo import ProcessedEvents

log = get_logger("rsnms_runtime.kafka")

INBOUND = frozenset(str(t) for t in INBOUND_TOPICS)
#: the stages of `BatchConsumer.process` timed in its `batch_processed` log line
STAGES = ("decode", "dedupe", "apply", "publish", "mark")


def waited_ms(records: Sequence[Any], now_ns: int) -> dict[str, float]:
    """How long the newest and the oldest record of a batch waited between their producer's
    timestamp and the start of the batch, ms (where a record's latency goes before its batch)."""
    stamps = [r.timestamp for r in records if getattr(r, "timestamp", None)]
    if not stamps:
        return {}
    now_ms = now_ns / 1e6
    return {"waited_min_ms": round(now_ms - max(stamps), 1), "waited_max_ms": round(now_ms - min(stamps), 1)}


def header(record: Any, name: str) -> bytes | None:
    """The value of a Kafka record's header (the first of that name), None without one."""
    for key, value in record.headers or ():
        if key == name:
            return bytes(value) if value is not None else None
    return None


async def committed_offsets(kafka_consumer: Any, partitions: list[Any]) -> dict[Any, int | None]:
    """The group's committed offset of each partition (None: nothing committed), in one request.
    aiokafka's public `committed` asks for one partition per request: for a consumer of 50
    partitions, every lag refresh (each 2 s) was 50 round trips to the broker."""
    coordinator = getattr(kafka_consumer, "_coordinator", None)
    if coordinator is None:
        return {tp: await kafka_consumer.committed(tp) for tp in partitions}
    found = await coordinator.fetch_committed_offsets(partitions) if partitions else {}
    return {tp: (found[tp].offset if tp in found and found[tp].offset != -1 else None) for tp in partitions}


@dataclass(frozen=True)
class Incoming:
    """A decoded event with where it was read from."""

    event: Event
    topic: str
    partition: int
    offset: int
    raw: bytes
    #: the Kafka record it came from (headers, key), when there is one
    record: Any = field(default=None, repr=False, compare=False)

    @cached_property
    def event_id(self) -> str:
        return str(self.event.event_id)

    @cached_property
    def digest(self) -> str:
        """The event's `content_hash`, computed once (de-duplication and use cases need it)."""
        return self.event.content_hash()

    @property
    def position(self) -> Position:
        return (self.topic, self.partition, self.offset)

    def as_record(self) -> Any:
        if self.record is not None:
            return self.record
        return SimpleNamespace(
            topic=self.topic,
            partition=self.partition,
            offset=self.offset,
            key=self.event.key.encode(),
            value=self.raw,
            headers=(),
        )


@dataclass
class Outcome:
    """What a use case did with a batch: events to publish, events it refused (with why)."""

    emit: list[Event] = field(default_factory=list)
    rejected: list[tuple[Incoming, str]] = field(default_factory=list)


BatchHandler = Callable[[list[Incoming]], Awaitable[Outcome]]
#: answers whether the broker and the database are reachable now
Probe = Callable[[], Awaitable[bool]]


class Skipped(Exception):
    """An operator skipped messages of the batch while the use case was working on it."""

    def __init__(self, positions: set[Position]):
        super().__init__(f"skipped by an operator: {sorted(positions)}")
        self.positions = positions


@dataclass
class Applied:
    """What the apply stage did: the use case's outcome, and the messages it failed on."""

    emit: list[Event] = field(default_factory=list)
    rejected: list[tuple[Incoming, str]] = field(default_factory=list)
    failed: list[tuple[Incoming, str]] = field(default_factory=list)

    def __iadd__(self, other: Applied) -> Self:
        self.emit += other.emit
        self.rejected += other.rejected
        self.failed += other.failed
        return self


@dataclass(frozen=True)
class Stuck:
    """A partition whose committed offset has not moved while messages wait behind it."""

    topic: str
    partition: int
    offset: int
    lag: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition} at offset {self.offset} ({self.lag} waiting) for {self.seconds:.0f} s"


@dataclass(frozen=True)
class ConsumerOptions:
    """Tuning of a batch consumer (from the service's settings)."""

    retries: RetryPolicy = DEFAULT_RETRIES
    #: a partition with lag whose committed offset has not moved for this long is stuck
    stuck_after_s: float = 300.0
    #: how often a running handler checks whether an operator skipped one of its messages
    skip_poll_s: float = 2.0
    #: how long a revocation waits for the batch in flight to finish and commit
    revoke_wait_s: float = 15.0


class BatchConsumer:
    """Turns a batch of Kafka records into a use-case call, safely (see the module docstring)."""

    def __init__(
        self,
        service: str,
        handler: BatchHandler,
        publisher: Publisher,
        ledger: ProcessedEvents,
        tracer: trace.Tracer | None = None,
        gate: SourceGate | None = None,
        drops_unsampled_parents: bool = False,
        *,
        probe: Probe | None = None,
        skips: SkipList | None = None,
        options: ConsumerOptions = ConsumerOptions(),
        reloads: Sequence[Callable[[], Awaitable[Any]]] = (),
        handles: Iterable[str] | None = None,
        heap: HeapKeeper | None = None,
    ):
        """`reloads`: the service's in-memory state read back from its store, run (with the
        ledger's) before the first batch after partitions were assigned: another instance may
        have written state of those partitions. `handles`: the event types the use case acts on
        (default: all); see `decode`."""
        self.service = service
        self._handler = handler
        self._publisher = publisher
        self._ledger = ledger
        self._tracer = tracer or trace.get_tracer("rsnms")
        self._gate = gate
        self._probe = probe
        self._skips = skips
        self._options = options
        self._reloads = reloads
        #: frozen after each batch, so the collector does not walk what the service holds
        self._heap = heap or HeapKeeper(enabled=False)
        #: `event_type` header values of the platform's events the use case does nothing with
        self._ignored: frozenset[bytes] = (
            frozenset() if handles is None else frozenset(t.encode() for t in EVENT_CLASSES if t not in set(handles))
        )
        self._fast_trace_context = standard_propagation()
        #: the sampler never records a child of an unsampled remote parent (tracecontext)
        self._drops_unsampled_parents = drops_unsampled_parents
        self._assignment: set[tuple[str, int]] | None = None
        self._ledger_stale = True
        self._revoked_between_batches = False
        self._check_skips = True
        self._skipped: set[Position] = set()
        self._first_assigned_at: float | None = None
        self._recent: deque[trace.SpanContext] = deque(maxlen=256)
        self._subscriber: Any = None
        self._kafka: Any = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False
        self._lag_partitions: set[tuple[str, int]] = set()
        self._progress: dict[tuple[str, int], tuple[int, float]] = {}
        self._stuck: dict[tuple[str, int], Stuck] = {}
        #: what the last batch did and how long each stage took (logged once it is committed)
        self._last: dict[str, Any] = {}
        self._last_committed_at: float | None = None
        self._published: dict[tuple[str, int], int] = {}

    # -- read-only views -----------------------------------------------------------------------

    @property
    def first_assigned_at(self) -> float | None:
        """Monotonic clock of the first partition assignment: when consuming began (benchmarks)."""
        return self._first_assigned_at

    @property
    def published(self) -> Mapping[tuple[str, int], int]:
        """Per partition, the offset below which every record this consumer read since its last
        assignment went through `process`: applied, what it emitted published, the ledger
        marked (a use case may forget what it kept to emit such records' events again). Cleared
        when partitions are assigned; a live view, not a copy."""
        return self._published

    @property
    def last_committed_at(self) -> float | None:
        """perf_counter of the last commit of a batch's offsets (None before the first)."""
        return self._last_committed_at

    @property
    def recent_traces(self) -> Sequence[trace.SpanContext]:
        """Contexts of the latest applied events of sampled traces (spans that summarise many
        events link to them)."""
        return tuple(self._recent)

    def stuck(self) -> list[Stuck]:
        """The partitions found stuck by the last `update_lag`."""
        return list(self._stuck.values())

    # -- life cycle (called by the subscriber glue) --------------------------------------------

    def attach(self, subscriber: Any) -> None:
        """The FastStream subscriber feeding this consumer (its aiokafka consumer gives the lag)."""
        self._subscriber = subscriber

    def batch_started(self, kafka_consumer: Any) -> None:
        self._kafka = kafka_consumer
        self._idle.clear()

    def batch_done(self) -> None:
        """The batch in flight is finished: committed or handed back."""
        self._idle.set()

    def fetched_before_revocation(self) -> bool:
        """Whether the batch just started may have been fetched before partitions were revoked
        (a revocation came between the last batch and this one, when nothing was in flight to
        wait for): the new owner of those partitions reads them from the committed offsets, so
        this batch must be handed back, neither applied nor committed. Answers True once per
        such revocation."""
        revoked, self._revoked_between_batches = self._revoked_between_batches, False
        return revoked

    def committed(self, seconds: float) -> None:
        """The offsets of the batch `process` finished are committed (in `seconds`): one log line
        with what it did and where its time went, from the oldest record's wait in Kafka to the
        commit (`batch_processed`, INFO)."""
        if self._last:
            log.info("batch_processed", **self._last, commit_ms=round(seconds * 1000, 1))
            self._last = {}
        self._last_committed_at = time.perf_counter()

    def stopping(self) -> None:
        """The service is stopping: a transient failure now hands the batch back instead of
        looking for the message it fails on."""
        self._stopping = True

    async def assigned(self, partitions: Iterable[Any]) -> None:
        """Partitions assigned: the ledger of new ones is loaded before the next batch (their
        events may have been marked by their previous owner), skips are looked up again."""
        self._assignment = {(tp.topic, tp.partition) for tp in partitions}
        self._published.clear()
        self._ledger_stale = True
        self._check_skips = True
        self._first_assigned_at = self._first_assigned_at or time.perf_counter()

    async def revoked(self, partitions: Iterable[Any]) -> None:
        """Partitions revoked: let the batch in flight finish and commit first (bounded), so the
        next owner does not apply it again. Revoked between two batches, the next batch may have
        been fetched before: `fetched_before_revocation` says so."""
        if self._idle.is_set():
            self._revoked_between_batches = self._revoked_between_batches or bool(set(partitions))
            return
        try:
            await asyncio.wait_for(self._idle.wait(), self._options.revoke_wait_s)
        except TimeoutError:
            log.warning("revoked_with_batch_in_flight", waited_s=self._options.revoke_wait_s)

    # -- stages ---------------------------------------------------------------------------------

    def letter(
        self,
        record: Any,
        kind: ErrorKind,
        error: str,
        event_id: str | None = None,
        event_type: str | None = None,
    ) -> DeadLetter:
        return letter_for(record, kind, error, self.service, event_id, event_type)

    async def passed_over(self, records: Sequence[Any]) -> list[Any]:
        """The records an operator has not skipped."""
        if self._skips is None or not self._check_skips:
            return list(records)
        self._skipped = await self._options.retries.run(self._skips.positions, "skips")
        self._check_skips = False
        kept = [r for r in records if (r.topic, r.partition, r.offset) not in self._skipped]
        if len(kept) < len(records):
            log.warning(
                "skipped_by_operator",
                positions=[f"{r.topic}:{r.partition}:{r.offset}" for r in records if r not in kept],
            )
        return kept

    def decode(self, records: Sequence[Any], letters: list[DeadLetter]) -> list[Incoming]:
        """Stage 1: decode and authorize; what is refused goes to `letters`.

        An event on a platform topic whose `event_type` header names a kind the use case does
        nothing with is passed over undecoded (the service that published it validated it; a
        consumer of everything the registry publishes acts on a few kinds only). Events on
        inbound topics are always decoded: there, this consumer is the one that refuses them."""
        decoded: list[Incoming] = []
        ignored = 0
        for rec in records:
            if self._ignored and rec.topic not in INBOUND and header(rec, "event_type") in self._ignored:
                ignored += 1
                continue
            try:
                event = decode_for_topic(rec.value or b"", rec.topic)
            except ContractError as exc:
                letters.append(self.letter(rec, exc.kind, exc.detail, exc.event_id, exc.event_type))
                continue
            if self._gate is not None and rec.topic in INBOUND:
                refusal = self._gate.check(event, rec.topic, rec.key, rec.value, rec.headers or ())
                if refusal:
                    letters.append(self.letter(rec, "unauthorized", refusal, str(event.event_id), event.event_type))
                    continue
            decoded.append(Incoming(event, rec.topic, rec.partition, rec.offset, rec.value, rec))
        if ignored:
            metrics.IGNORED.labels(self.service).inc(ignored)
        return decoded

    async def deduplicate(
        self, decoded: list[Incoming], letters: list[DeadLetter], digests: dict[str, str]
    ) -> tuple[list[Incoming], int]:
        """Stage 2: events not applied before (their content hashes into `digests`); duplicates
        counted, conflicting re-uses of an id dead-lettered."""
        if self._ledger_stale and self._assignment is not None:
            assignment = self._assignment
            await self._options.retries.run(lambda: self._ledger.assign(assignment), "ledger")
            for reload in self._reloads:
                await self._options.retries.run(reload, "state reload")
            self._ledger_stale = False
        by_partition: dict[tuple[str, int], list[str]] = {}
        for inc in decoded:
            by_partition.setdefault((inc.topic, inc.partition), []).append(inc.event_id)
        known: dict[tuple[str, int], dict[str, str]] = {}
        for (topic, partition), ids in by_partition.items():
            known[(topic, partition)] = await self._options.retries.run(
                functools.partial(self._ledger.known, topic, partition, ids), "ledger"
            )
        fresh: list[Incoming] = []
        seen_in_batch: dict[str, str] = {}
        duplicates = 0
        for inc in decoded:
            eid, digest = inc.event_id, inc.digest
            previous = known[(inc.topic, inc.partition)].get(eid) or seen_in_batch.get(eid)
            if previous is None:
                seen_in_batch[eid] = digests[eid] = digest
                fresh.append(inc)
            elif previous == digest or inc.event.has_content(previous):
                duplicates += 1  # has_content: a ledger entry may hold a legacy digest
            else:
                letters.append(
                    self.letter(
                        inc.as_record(),
                        "conflict",
                        f"event_id {eid} was already applied with different content",
                        eid,
                        inc.event.event_type,
                    )
                )
        return fresh, duplicates

    def spans_for(self, fresh: list[Incoming], start_ns: int) -> dict[str, trace.Span]:
        """One span per applied event (keyed by event id), child of the trace its publisher
        started (W3C trace context in the Kafka headers); an event without one starts its own.

        This runs for every event, so it stays lean: only the trace headers are read (see
        `tracecontext`), and with a parent-based sampler an event of an unsampled trace gets no
        span of its own: its publisher's unsampled context stands for it."""
        spans: dict[str, trace.Span] = {}
        prefix = f"{self.service} apply "
        for inc in fresh:
            headers = inc.record.headers if inc.record is not None else ()
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

    async def _infrastructure_up(self) -> bool:
        if self._probe is None:
            return True
        try:
            return await self._probe()
        except Exception:  # noqa: BLE001 - a probe that fails says "down"
            return False

    async def _call_handler(self, batch: list[Incoming]) -> Outcome:
        """The use case; while it runs long, look whether an operator skipped one of its messages
        (a handler held up by a message must not hold the partition for good)."""
        # the batch's events were decoded by the codec, their text checked: what the use case
        # builds from them is not walked for control characters again
        with built_from_checked_text():
            if self._skips is None:
                return await self._handler(batch)
            task = asyncio.ensure_future(self._handler(batch))
        positions = {inc.position for inc in batch}
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self._options.skip_poll_s)
                if done:
                    return task.result()
                skipped = (await self._skips.positions()) & positions
                if skipped:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                    raise Skipped(skipped)
        except asyncio.CancelledError:
            task.cancel()
            raise

    async def apply(self, fresh: list[Incoming]) -> Applied:
        """Stage 3: the use case over the fresh events (see the module docstring)."""
        while True:
            try:
                return await self._apply_isolating(fresh)
            except Skipped as exc:
                self._skipped |= exc.positions
                log.warning("skipped_by_operator", positions=[f"{t}:{p}:{o}" for t, p, o in sorted(exc.positions)])
                fresh = [inc for inc in fresh if inc.position not in exc.positions]

    async def _apply_isolating(self, batch: list[Incoming]) -> Applied:
        if not batch:
            return Applied()
        try:
            outcome = await self._options.retries.run(
                lambda: self._call_handler(batch), "handler", give_up=lambda: self._stopping
            )
            return Applied(list(outcome.emit), list(outcome.rejected))
        except Skipped:
            raise
        except Exception as exc:
            if is_transient(exc) and (self._stopping or not await self._infrastructure_up()):
                raise  # the infrastructure is down: nothing is dead-lettered, the batch is retried
            if len(batch) == 1:
                inc = batch[0]
                log.error(
                    "message_failed",
                    topic=inc.topic,
                    partition=inc.partition,
                    offset=inc.offset,
                    event_id=inc.event_id,
                    error=describe(exc),
                    transient=is_transient(exc),
                )
                return Applied(failed=[(inc, describe(exc))])
            log.warning("batch_split", records=len(batch), error=describe(exc))
            mid = len(batch) // 2
            applied = await self._apply_isolating(batch[:mid])
            applied += await self._apply_isolating(batch[mid:])
            return applied

    async def publish(self, events: Sequence[Event], fresh: list[Incoming], spans: dict[str, trace.Span]) -> None:
        """Stage 4: publish what the use case emitted; what it says about an entity continues the
        trace of the last event of that entity in the batch, so one trace follows an event across
        services."""
        if not events:
            return
        by_key = {inc.event.key: spans[inc.event_id] for inc in fresh if inc.event_id in spans}
        await self._publisher.publish_many([(event, by_key.get(event.key)) for event in events])

    async def dead_letter(self, letter: DeadLetter) -> None:
        """Stage 5: publish a dead letter and record it in the trace of the refused message. A
        letter the broker refuses for good is published again without the original's bytes."""
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
            try:
                await self._options.retries.run(lambda: self._publisher.dead_letter(letter), "dead_letter")
            except Exception as exc:
                if is_transient(exc):
                    raise
                letter = without_original(letter, describe(exc))
                await self._options.retries.run(lambda: self._publisher.dead_letter(letter), "dead_letter")
            log.warning(
                "dead_lettered",
                error_kind=letter.error_kind,
                error=letter.error[:500],
                topic=letter.topic,
                partition=letter.partition,
                offset=letter.offset,
                event_id=letter.event_id,
                event_type=letter.event_type,
            )

    async def mark(self, fresh: list[Incoming], digests: dict[str, str], refused: set[str]) -> None:
        """Stage 6: the applied events go into the ledger (after their effects are durable)."""
        entries: dict[tuple[str, int], list[tuple[str, str]]] = {}
        for inc in fresh:
            if inc.event_id not in refused and inc.event_id in digests:
                entries.setdefault((inc.topic, inc.partition), []).append((inc.event_id, digests[inc.event_id]))
        if entries:
            await self._options.retries.run(lambda: self._ledger.mark_all(entries), "ledger")

    # -- the whole batch ------------------------------------------------------------------------

    async def process(self, records: Sequence[Any]) -> None:
        """All the stages over one batch; returns when the offsets may be committed, raises when
        the batch must be handed back (the infrastructure is down)."""
        started, start_ns = time.perf_counter(), time.time_ns()
        marks = [started]
        letters: list[DeadLetter] = []
        decoded = self.decode(await self.passed_over(records), letters)
        marks.append(time.perf_counter())
        digests: dict[str, str] = {}
        fresh, duplicates = await self.deduplicate(decoded, letters, digests)
        spans = self.spans_for(fresh, start_ns)
        marks.append(time.perf_counter())
        try:
            applied = await self.apply(fresh)
            marks.append(time.perf_counter())
            fresh = [inc for inc in fresh if inc.position not in self._skipped]
            for inc, reason in applied.rejected:
                letters.append(self.letter(inc.as_record(), "rejected", reason, inc.event_id, inc.event.event_type))
            for inc, reason in applied.failed:
                letters.append(self.letter(inc.as_record(), "failed", reason, inc.event_id, inc.event.event_type))
            await self._options.retries.run(lambda: self.publish(applied.emit, fresh, spans), "publish")
            await asyncio.gather(*(self.dead_letter(letter) for letter in letters))
            marks.append(time.perf_counter())
            refused = {i.event_id for i, _ in (*applied.rejected, *applied.failed)}
            await self.mark(fresh, digests, refused)
            marks.append(time.perf_counter())
            for rec in records:
                where = (rec.topic, rec.partition)
                self._published[where] = max(self._published.get(where, 0), rec.offset + 1)
            applied_events = [inc for inc in fresh if inc.event_id not in refused]
            sampled = [
                ctx for inc in applied_events if (ctx := spans[inc.event_id].get_span_context()).trace_flags.sampled
            ]
            self._recent.extend(sampled[-(self._recent.maxlen or 0) :])
            if log.is_enabled_for(logging.DEBUG):
                for inc in applied_events:
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
            self._check_skips = True
            for span in spans.values():
                span.record_exception(exc)
                span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            for span in spans.values():
                span.end()

        metrics.observe_batch(
            self.service, records, applied_events, duplicates, letters, len(applied.emit), time.perf_counter() - started
        )
        self._heap.settled(len(records))
        if log.is_enabled_for(logging.INFO):
            self._last = {
                "records": len(records),
                "applied": len(applied_events),
                "duplicates": duplicates,
                "dead_lettered": len(letters),
                "emitted": len(applied.emit),
                **waited_ms(records, start_ns),
                "idle_ms": round((started - self._last_committed_at) * 1000, 1) if self._last_committed_at else None,
                **{
                    f"{stage}_ms": round((b - a) * 1000, 1)
                    for stage, a, b in zip(STAGES, marks, marks[1:], strict=False)
                },
            }

    # -- progress -------------------------------------------------------------------------------

    def _kafka_consumer(self) -> Any:
        kc = self._subscriber.consumer if self._subscriber is not None else None
        return kc or self._kafka

    async def update_lag(self) -> dict[tuple[str, int], int]:
        """Consumer lag per assigned partition, also set as the `rsnms_consumer_lag` gauge; finds
        the partitions that are stuck (`rsnms_consumer_stuck`, a log line, `stuck()`).

        Lag = the broker's end offset - the group's committed offset (the beginning of the
        partition while nothing is committed), as `kafka-consumer-groups` reports it. Both are
        asked of the broker, so the value is right while the consumer is paused or its handler is
        blocked: a batch in flight still counts until its offsets are committed."""
        kc = self._kafka_consumer()
        if kc is None:
            return {}
        assigned = sorted(kc.assignment())
        ends = await kc.end_offsets(assigned) if assigned else {}
        committed = await committed_offsets(kc, assigned)
        never = [tp for tp, offset in committed.items() if offset is None]
        starts = await kc.beginning_offsets(never) if never else {}
        positions: dict[tuple[str, int], int] = {
            (tp.topic, tp.partition): starts[tp] if (offset := committed[tp]) is None else offset for tp in assigned
        }
        lags = {(tp.topic, tp.partition): max(0, ends[tp] - positions[(tp.topic, tp.partition)]) for tp in assigned}
        self._lag_partitions = metrics.set_lag(self.service, lags, self._lag_partitions)
        self._track(positions, lags, time.monotonic())
        return lags

    def _track(self, positions: dict[tuple[str, int], int], lags: dict[tuple[str, int], int], now: float) -> None:
        for tp in list(self._progress):
            if tp not in lags:
                del self._progress[tp]
        stuck: dict[tuple[str, int], Stuck] = {}
        for tp, lag in lags.items():
            offset = positions[tp]
            previous = self._progress.get(tp)
            if lag == 0 or previous is None or previous[0] != offset:
                self._progress[tp] = (offset, now)
                continue
            waited = now - previous[1]
            if waited >= self._options.stuck_after_s:
                stuck[tp] = Stuck(tp[0], tp[1], offset, lag, waited)
                if tp not in self._stuck:
                    log.error(
                        "consumer_stuck",
                        topic=tp[0],
                        partition=tp[1],
                        offset=offset,
                        lag=lag,
                        seconds=round(waited, 1),
                        hint=f"rsnms show {tp[0]}:{tp[1]}:{offset}",
                    )
        for tp in self._stuck.keys() - stuck.keys():
            log.info("consumer_advancing", topic=tp[0], partition=tp[1])
        metrics.set_stuck(self.service, set(stuck), set(self._stuck) | set(lags))
        self._stuck = stuck
