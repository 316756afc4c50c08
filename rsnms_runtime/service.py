"""Composition helpers for a service process: tracing, logging, the Kafka broker, the
MongoDB database, the publisher and ledger, the batch consumers, and an ASGI app with
liveness, readiness and Prometheus endpoints next to the FastStream app."""

from __future__ import annotations

import asyncio
import functools
import gc
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.asgi.response import JSONResponse
from faststream.specification import AsyncAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import generate_latest

from contracts import EVENT_CLASSES, TOPIC_EVENTS, DeadLetter, Topic
from rsnms_runtime import heapreport, metrics
from rsnms_runtime.consumer import ConsumerOptions
from rsnms_runtime.faults import RetryPolicy
from rsnms_runtime.gcwatch import watch_gc
from rsnms_runtime.heap import HeapKeeper
from rsnms_runtime.kafka import (
    GRACEFUL_TIMEOUT_S,
    BatchConsumer,
    BatchHandler,
    EventPublisher,
    Publisher,
    ensure_topics,
    make_broker,
    subscribe_batch,
)
from rsnms_runtime.logging import configure_logging, get_logger
from rsnms_runtime.mongo import ProcessedEvents, connect, database
from rsnms_runtime.probe import mongodb_ready
from rsnms_runtime.settings import Settings
from rsnms_runtime.skips import SkipList, ops_database
from rsnms_runtime.sources import SourceGate
from rsnms_runtime.telemetry import configure_tracing
from rsnms_runtime.tracecontext import drops_unsampled_parents

#: how long stopping waits for the background tasks (lag watcher) to end
STOP_BACKGROUND_S = 5.0

#: allocations between collections of the youngest GC generation (CPython's default is 700)
YOUNG_GC_THRESHOLD = 100_000


def tune_gc() -> None:
    """Collect the young generation every 100,000 allocations instead of every 700.

    A consumer keeps a whole batch of decoded events alive while it works, and with the default
    every few hundred allocations start a collection that walks them all
    (docs/decisions/runtime-costs.md)."""
    gc.set_threshold(YOUNG_GC_THRESHOLD, 10, 10)


class ServiceRuntime:
    """Everything a service needs from the outside world, built once (composition root helper)."""

    def __init__(
        self,
        settings: Settings,
        tracer_provider: TracerProvider | None = None,
        gate: SourceGate | None | str = "env",
        around_handler: Callable[[BatchHandler], BatchHandler] | None = None,
        publisher: Publisher | None = None,
    ):
        """`gate`: the inbound source check; "env" builds it from the settings (RSNMS_SOURCE_KEYS,
        RSNMS_SOURCE_POLICY). `around_handler`: wraps each use case the service consumes with
        (fault injection in tests). `publisher`: where the service's events go (default: the
        broker's `EventPublisher`; an in-memory fake in unit tests)."""
        self.settings = settings
        self._around_handler = around_handler
        heapreport.start_if_asked()
        tune_gc()
        watch_gc(settings.service)
        configure_logging(settings.service, settings.log_level)
        self.log = get_logger(f"rsnms.{settings.service}")
        self.tracer_provider = tracer_provider or configure_tracing(
            settings.service, otlp_endpoint=settings.otel_exporter_otlp_endpoint
        )
        self.broker = make_broker(settings, self.tracer_provider)
        self.mongo = connect(settings)
        self.db = database(self.mongo, settings)
        self.publisher: Publisher = publisher or EventPublisher(self.broker)
        self.ledger = ProcessedEvents(self.db, window=settings.ledger_window)
        #: the process's one keeper of the collector: every consumer's batch ends with the heap frozen
        self.heap = HeapKeeper()
        self._options = ConsumerOptions(
            retries=RetryPolicy(settings.retry_attempts, max_delay_s=settings.retry_max_delay_s),
            stuck_after_s=settings.stuck_after_s,
            revoke_wait_s=GRACEFUL_TIMEOUT_S,
        )
        self.gate: SourceGate | None = (
            SourceGate.from_config(settings.source_keys, settings.source_policy) if isinstance(gate, str) else gate
        )
        if self.gate is None:
            self.log.warning("inbound_authentication_disabled", reason="RSNMS_SOURCE_KEYS is not set")
        self._startup: list[Callable[[], Any]] = []
        self._on_assigned: list[Callable[[], Any]] = []
        self._shutdown: list[Callable[[], Any]] = []
        self._routes: list[tuple[str, Any]] = []
        self.consumers: list[BatchConsumer] = []
        self._background: list[asyncio.Task[None]] = []

    def consume(
        self,
        topics: Sequence[str],
        handler: BatchHandler,
        group_suffix: str = "",
        handles: Iterable[str] | None = None,
    ) -> BatchConsumer:
        """Consume `topics` in batches through `handler`; `handles`: the event types it acts on
        (the others are passed over undecoded on platform topics, `BatchConsumer.decode`)."""
        if self._around_handler is not None:
            handler = self._around_handler(handler)
        consumer = BatchConsumer(
            self.settings.service,
            handler,
            self.publisher,
            self.ledger,
            self.tracer_provider.get_tracer(f"rsnms.{self.settings.service}"),
            self.gate,
            drops_unsampled_parents(self.tracer_provider),
            probe=self.infrastructure_up,
            skips=SkipList(
                ops_database(self.mongo, self.settings.mongodb_db_prefix), self.settings.group_id + group_suffix
            ),
            options=self._options,
            reloads=self._on_assigned,  # the list itself: reloads registered later count too
            handles=handles,
            heap=self.heap,
        )
        subscribe_batch(self.broker, self.settings, topics, consumer, group_suffix)
        self.consumers.append(consumer)
        return consumer

    async def _watch_lag(self, every: float = 2.0) -> None:
        every = min(every, max(0.2, self.settings.stuck_after_s / 4))
        """Refresh the lag gauges; a broker hiccup or a rebalance skips one round only."""
        while True:
            for consumer in self.consumers:
                try:
                    await asyncio.wait_for(consumer.update_lag(), timeout=10 * every)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the next round retries
                    self.log.warning("lag_unavailable", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(every)

    async def _after_start(self) -> None:
        self._background.append(asyncio.create_task(self._watch_lag()))

    def emits(self, *topics: Topic) -> None:
        """Declare the topics this service publishes to (documented in its AsyncAPI)."""
        for topic in topics:
            kinds = sorted(TOPIC_EVENTS[topic]) or ["DeadLetter"]
            schema = (
                functools.reduce(operator.or_, (EVENT_CLASSES[k] for k in kinds)) if TOPIC_EVENTS[topic] else DeadLetter
            )
            self.broker.publisher(
                str(topic), title=f"{topic}:publish", description="Publishes: " + ", ".join(kinds), schema=schema
            )

    def span_over_recent(self, name: str) -> Any:
        """A span linked to the traces of the latest applied events (e.g. a passport snapshot
        that folds them in); what is published inside it continues this span's trace."""
        links = [trace.Link(ctx) for consumer in self.consumers for ctx in consumer.recent_traces]
        tracer = self.tracer_provider.get_tracer(f"rsnms.{self.settings.service}")
        return tracer.start_as_current_span(name, links=links, attributes={"rsnms.service": self.settings.service})

    def on_assigned(self, reload: Callable[[], Any]) -> None:
        """Have `reload` (the service's in-memory state read back from its store) run before the
        first batch after partitions were assigned to a consumer: another instance may have
        written state of those partitions."""
        self._on_assigned.append(reload)

    def on_startup(self, fn: Callable[[], Any]) -> None:
        self._startup.append(fn)

    def on_shutdown(self, fn: Callable[[], Any]) -> None:
        self._shutdown.append(fn)

    def route(self, path: str, handler: Any) -> None:
        self._routes.append((path, handler))

    @property
    def routes(self) -> list[tuple[str, Any]]:
        """The service's own HTTP routes (path, ASGI handler), besides health and metrics."""
        return list(self._routes)

    async def infrastructure_up(self) -> bool:
        """Whether the broker and the database answer now (a consumer asks before it dead-letters
        a message for a transient failure: while they are down, nothing is dead-lettered)."""
        kafka_ok, mongo_err = await asyncio.gather(
            self.broker.ping(timeout=2.0), mongodb_ready(self.settings.mongodb_uri, timeout=2.0)
        )
        return bool(kafka_ok) and mongo_err is None

    async def ready(self) -> dict[str, str]:
        """ "ok" or the reason for each of: the broker, the database, the consumers (a consumer
        is not ready while one of its partitions is stuck, see `BatchConsumer.update_lag`)."""
        kafka_ok = await self.broker.ping(timeout=2.0)
        mongo_err = await mongodb_ready(self.settings.mongodb_uri, timeout=2.0)
        stuck = [str(s) for consumer in self.consumers for s in consumer.stuck()]
        return {
            "kafka": "ok" if kafka_ok else "unavailable",
            "mongodb": "ok" if mongo_err is None else "unavailable",
            "consumers": "ok" if not stuck else "stuck: " + "; ".join(stuck),
        }

    async def prepare(self) -> None:
        """Create missing topics and run the service's start-up hooks (before consuming)."""
        await ensure_topics(self.settings, [str(t) for t in Topic], partitions=self.settings.kafka_partitions)
        for fn in self._startup:
            result = fn()
            if asyncio.iscoroutine(result):
                await result

    async def _stop_background(self) -> None:
        for consumer in self.consumers:
            consumer.stopping()
        for task in self._background:
            task.cancel()
        if self._background:
            # bounded: a Kafka request of the lag watcher has been seen to outlive its cancellation
            _, pending = await asyncio.wait(self._background, timeout=STOP_BACKGROUND_S)
            if pending:
                self.log.warning("background_tasks_not_stopped", tasks=len(pending))
        self._background.clear()

    async def close(self) -> None:
        """After the broker stopped: background tasks, shutdown hooks, the ledger's compaction in
        flight, then MongoDB."""
        await self._stop_background()
        for fn in self._shutdown:
            result = fn()
            if asyncio.iscoroutine(result):
                await result
        await self.ledger.settled()  # a compaction in flight
        await self.mongo.close()
        heapreport.write_if_asked(self.settings.service)

    async def start(self) -> None:
        """Start in-process, without HTTP (tests, benchmarks, the demo)."""
        await self.prepare()
        await self.broker.start()
        await self._after_start()

    async def stop(self) -> None:
        """Graceful stop: no new fetch; the batch in flight finishes and commits (or, if it
        fails or outlasts the broker's graceful timeout, stays uncommitted and is redelivered);
        then Kafka, the shutdown hooks and MongoDB are closed. The uvicorn path (`serve`)
        runs the same steps from the ASGI lifespan."""
        await self._stop_background()
        await self.broker.stop()
        await self.close()

    def app(self) -> AsgiFastStream:
        runtime = self

        @get
        async def live(scope: Any) -> AsgiResponse:
            return JSONResponse({"status": "alive", "service": runtime.settings.service})

        @get
        async def ready(scope: Any) -> AsgiResponse:
            state = await runtime.ready()
            ok = all(v == "ok" for v in state.values())
            return JSONResponse({"ready": ok, **state}, status_code=200 if ok else 503)

        @get
        async def prometheus(scope: Any) -> AsgiResponse:
            return AsgiResponse(generate_latest(metrics.REGISTRY), 200, {"Content-Type": "text/plain; version=0.0.4"})

        return AsgiFastStream(
            self.broker,
            asgi_routes=[("/health/live", live), ("/health/ready", ready), ("/metrics", prometheus), *self._routes],
            on_startup=[self.prepare],
            after_startup=[self._after_start],
            on_shutdown=[self._stop_background],
            after_shutdown=[self.close],
            logger=None,
            specification=AsyncAPI(
                self.broker,
                title=f"РСНМС: {self.settings.service}",
                version="1",
                description=f"Event interface of the {self.settings.service} service of the РСНМС platform",
            ),
        )


def _exit_on_stop_signal(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def serve(app: AsgiFastStream, settings: Settings) -> None:
    """Run the service: the FastStream app and its HTTP endpoints under uvicorn.

    SIGTERM or SIGINT stops it gracefully: uvicorn runs the ASGI lifespan shutdown (the
    lag watcher, then `broker.stop()` letting the batch in flight finish and commit, then
    MongoDB) and raises the signal again once done; the handler installed here turns that
    into exit code 0, so a requested stop is not reported as a death by signal.
    """
    import signal

    import uvicorn

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _exit_on_stop_signal)
    port = settings.http_port if settings.http_port >= 0 else 0
    uvicorn.run(app, host=settings.http_host, port=port, log_level="warning", lifespan="on")
