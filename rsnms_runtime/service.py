"""Composition helpers for a service process: tracing, logging, the Kafka broker, the
MongoDB database, the publisher and ledger, the batch consumers, and an ASGI app with
liveness, readiness and Prometheus endpoints next to the FastStream app."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from typing import Any

from faststream.asgi import AsgiFastStream, AsgiResponse, JSONResponse, get
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import generate_latest

from rsnms_runtime import metrics
from rsnms_runtime.kafka import (
    BatchConsumer, BatchHandler, EventPublisher, ensure_topics, make_broker, subscribe_batch,
)
from rsnms_runtime.logging import configure_logging, get_logger
from rsnms_runtime.mongo import ProcessedEvents, connect, database
from rsnms_runtime.probe import mongodb_ready
from rsnms_runtime.settings import Settings
from rsnms_runtime.telemetry import configure_tracing

from contracts import Topic


class ServiceRuntime:
    """Everything a service needs from the outside world, built once (composition root helper)."""

    def __init__(self, settings: Settings, tracer_provider: TracerProvider | None = None):
        self.settings = settings
        configure_logging(settings.service, settings.log_level)
        self.log = get_logger(f"rsnms.{settings.service}")
        self.tracer_provider = tracer_provider or configure_tracing(settings.service)
        self.broker = make_broker(settings, self.tracer_provider)
        self.mongo = connect(settings)
        self.db = database(self.mongo, settings)
        self.publisher = EventPublisher(self.broker)
        self.ledger = ProcessedEvents(self.db)
        self._startup: list[Callable[[], Any]] = []
        self._shutdown: list[Callable[[], Any]] = []
        self._routes: list[tuple[str, Any]] = []

    def consume(self, topics: Sequence[str], handler: BatchHandler, group_suffix: str = "") -> BatchConsumer:
        consumer = BatchConsumer(self.settings.service, handler, self.publisher, self.ledger)
        subscribe_batch(self.broker, self.settings, topics, consumer, group_suffix)
        return consumer

    def on_startup(self, fn: Callable[[], Any]) -> None:
        self._startup.append(fn)

    def on_shutdown(self, fn: Callable[[], Any]) -> None:
        self._shutdown.append(fn)

    def route(self, path: str, handler: Any) -> None:
        self._routes.append((path, handler))

    async def ready(self) -> dict[str, str]:
        kafka_ok = await self.broker.ping(timeout=2.0)
        mongo_err = await mongodb_ready(self.settings.mongodb_uri, timeout=2.0)
        return {"kafka": "ok" if kafka_ok else "unavailable", "mongodb": "ok" if mongo_err is None else "unavailable"}

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

        async def prepare() -> None:
            await ensure_topics(self.settings, [str(t) for t in Topic],
                                partitions=int(os.environ.get("KAFKA_PARTITIONS", "3")))
            for fn in self._startup:
                result = fn()
                if asyncio.iscoroutine(result):
                    await result

        async def close() -> None:
            for fn in self._shutdown:
                result = fn()
                if asyncio.iscoroutine(result):
                    await result
            await self.mongo.close()

        return AsgiFastStream(
            self.broker,
            asgi_routes=[("/health/live", live), ("/health/ready", ready), ("/metrics", prometheus), *self._routes],
            on_startup=[prepare],
            after_shutdown=[close],
            logger=None,
        )


def serve(app: AsgiFastStream, settings: Settings) -> None:
    """Run the service: the FastStream app and its HTTP endpoints under uvicorn."""
    import uvicorn

    port = settings.http_port if settings.http_port >= 0 else 0
    uvicorn.run(app, host=os.environ.get("RSNMS_HTTP_HOST", "127.0.0.1"), port=port,
                log_level="warning", lifespan="on")
