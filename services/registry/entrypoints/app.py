"""Composition root of the registry service."""

from __future__ import annotations

from typing import Any

from faststream.asgi import AsgiFastStream

from contracts import Topic
from rsnms_runtime.kafka import Publisher
from rsnms_runtime.service import ServiceRuntime
from rsnms_runtime.settings import Settings
from services.registry.adapters.store import RegistryStore
from services.registry.service import RegistryService
from services.registry.settings import RegistrySettings


def build(
    settings: Settings | None = None,
    *,
    store: RegistryStore | None = None,
    publisher: Publisher | None = None,
    **runtime_options: Any,
) -> ServiceRuntime:
    """The service on its runtime; `store` (default: MongoDB) and `publisher` (default: the
    broker's) are for tests to inject."""
    runtime = ServiceRuntime(
        (settings or RegistrySettings()).as_(RegistrySettings), publisher=publisher, **runtime_options
    )
    if store is None:
        store = RegistryStore(runtime.db)
        runtime.on_assigned(store.reload)
    service = RegistryService(store)
    runtime.consume([str(Topic.REGISTRY_SUBMITTED)], service.handle)
    runtime.emits(Topic.REGISTRY_FACTS, Topic.DEAD_LETTER)
    return runtime


def asgi() -> AsgiFastStream:
    """Factory for `faststream run --factory` and `faststream docs gen --factory`."""
    return build().app()
