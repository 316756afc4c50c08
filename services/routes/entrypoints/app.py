"""Composition root of the routes service: reads deficits, registry facts and progress,
publishes routes and support forms on Topic.ROUTES."""

from __future__ import annotations

from typing import Any

from faststream.asgi import AsgiFastStream

from contracts import Topic
from contracts.competency import competency_titles
from rsnms_runtime.kafka import Publisher
from rsnms_runtime.service import ServiceRuntime
from rsnms_runtime.settings import Settings
from services.routes.adapters.store import RoutesStore
from services.routes.domain.config import RoutePolicy
from services.routes.service import HANDLED, RoutesService, Store
from services.routes.settings import RoutesSettings, route_policy

INPUTS = (Topic.REGISTRY_FACTS, Topic.DEFICITS, Topic.PROGRESS)


def build(
    settings: Settings | None = None,
    policy: RoutePolicy | None = None,
    *,
    store: Store | None = None,
    publisher: Publisher | None = None,
    **runtime_options: Any,
) -> ServiceRuntime:
    """The service on its runtime; `store` (default: MongoDB) and `publisher` (default: the
    broker's) are for tests to inject."""
    settings = (settings or RoutesSettings()).as_(RoutesSettings)
    runtime = ServiceRuntime(settings, publisher=publisher, **runtime_options)
    if store is None:
        journal = RoutesStore(runtime.db)
        runtime.on_assigned(journal.reload)
        store = journal
    titles = competency_titles(settings.competency_frameworks)
    service = RoutesService(store, policy or route_policy(settings), titles)
    consumer = runtime.consume([str(t) for t in INPUTS], service.handle, handles=HANDLED)
    service.published = consumer.published  # what its files need not keep to emit again
    runtime.emits(Topic.ROUTES, Topic.DEAD_LETTER)
    return runtime


def asgi() -> AsgiFastStream:
    """Factory for `faststream run --factory` and `faststream docs gen --factory`."""
    return build().app()
