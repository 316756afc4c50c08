"""Composition root of the routes service."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from contracts import Topic
from rsnms_runtime.service import ServiceRuntime
from rsnms_runtime.settings import Settings
from services.routes.adapters.store import RoutesStore
from services.routes.domain.config import RoutePolicy
from services.routes.service import RoutesService


def build(settings: Settings | None = None, **runtime_options: object) -> ServiceRuntime:
    runtime = ServiceRuntime(settings or Settings(service="routes"), **runtime_options)
    store = RoutesStore(runtime.db)
    service = RoutesService(store, RoutePolicy.from_env())
    runtime.on_startup(store.ensure_indexes)
    runtime.consume([str(Topic.REGISTRY_FACTS), str(Topic.DEFICITS), str(Topic.PROGRESS)], service.handle)
    runtime.emits(Topic.ROUTES, Topic.DEAD_LETTER)
    return runtime


def asgi() -> AsgiFastStream:
    """Factory for `faststream run --factory` and `faststream docs gen --factory`."""
    return build().app()
