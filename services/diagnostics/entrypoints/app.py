"""Composition root of the diagnostics service: reads DiagnosticResultSubmitted from
Topic.DIAGNOSTIC_RESULTS, publishes DeficitDiagnosed on Topic.DEFICITS and refusals on the
dead-letter topic. The competency frameworks are loaded (and validated) here, at start-up."""

from __future__ import annotations

from typing import Any

from faststream.asgi import AsgiFastStream

from contracts import Topic
from rsnms_runtime.kafka import Publisher
from rsnms_runtime.service import ServiceRuntime
from rsnms_runtime.settings import Settings
from services.diagnostics.adapters.store import JournalDiagnosisRepository, typical_diagnoses
from services.diagnostics.config import frameworks_from_settings
from services.diagnostics.domain.framework import Frameworks
from services.diagnostics.repository import DiagnosisRepository
from services.diagnostics.service import DiagnosticsService
from services.diagnostics.settings import DiagnosticsSettings


def build(
    settings: Settings | None = None,
    frameworks: Frameworks | None = None,
    *,
    repository: DiagnosisRepository | None = None,
    publisher: Publisher | None = None,
    **runtime_options: Any,
) -> ServiceRuntime:
    """The service's runtime, ready to start (`runtime.start()` or `serve(runtime.app(), ...)`);
    `repository` (default: MongoDB) and `publisher` (default: the broker's) are for tests to inject."""
    settings = (settings or DiagnosticsSettings()).as_(DiagnosticsSettings)
    runtime = ServiceRuntime(settings, publisher=publisher, **runtime_options)
    frameworks = frameworks or frameworks_from_settings(settings)
    if repository is None:
        journal = JournalDiagnosisRepository(runtime.db, typical_diagnoses(frameworks))
        runtime.on_assigned(journal.reload)
        repository = journal
    service = DiagnosticsService(repository, frameworks)
    runtime.log.info(
        "competency_frameworks",
        default=frameworks.default_id,
        frameworks={
            fid: sum(len(a.competencies) for a in f.areas.values()) for fid, f in sorted(frameworks.by_id.items())
        },
    )
    runtime.consume([str(Topic.DIAGNOSTIC_RESULTS)], service.handle)
    runtime.emits(Topic.DEFICITS, Topic.DEAD_LETTER)
    return runtime


def asgi() -> AsgiFastStream:
    """Factory for `faststream run --factory` and `faststream docs gen --factory`."""
    return build().app()
