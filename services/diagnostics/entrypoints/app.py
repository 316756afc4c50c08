"""Composition root of the diagnostics service."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from contracts import Topic
from rsnms_runtime.service import ServiceRuntime
from rsnms_runtime.settings import Settings
from services.diagnostics.adapters.store import DiagnosisStore
from services.diagnostics.frameworks import DEFAULT_FRAMEWORK_ID, load_frameworks
from services.diagnostics.service import DiagnosticsService


def build(settings: Settings | None = None, **runtime_options: object) -> ServiceRuntime:
    runtime = ServiceRuntime(settings or Settings(service="diagnostics"), **runtime_options)
    service = DiagnosticsService(DiagnosisStore(runtime.db), load_frameworks(), DEFAULT_FRAMEWORK_ID)
    runtime.consume([str(Topic.DIAGNOSTIC_RESULTS)], service.handle)
    runtime.emits(Topic.DEFICITS, Topic.DEAD_LETTER)
    return runtime


def asgi() -> AsgiFastStream:
    """Factory for `faststream run --factory` and `faststream docs gen --factory`."""
    return build().app()
