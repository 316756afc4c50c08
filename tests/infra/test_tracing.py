"""One trace follows a diagnostic result from the publishing system through the four
services (registry, diagnostics, routes, indicators) across Kafka hops, and the passport
snapshot that includes it links to that trace."""

from __future__ import annotations

from datetime import date

import pytest
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from contracts import (
    DiagnosticResult,
    DiagnosticResultSubmitted,
    ProgramRecorded,
    ProgramRegistered,
    SupportStaffRecorded,
    SupportStaffRegistered,
)
from rsnms_runtime.kafka import EventPublisher
from services.diagnostics.entrypoints.app import build as build_diagnostics
from services.indicators.entrypoints.app import build as build_indicators
from services.registry.entrypoints.app import build as build_registry
from services.routes.entrypoints.app import build as build_routes
from tests.support.factories import educator_registered, region_code
from tests.support.kafka import eventually

pytestmark = pytest.mark.infra


async def test_a_single_trace_spans_all_four_services_for_one_diagnostic_result(infra, prefix):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    region = region_code()
    runtimes = [
        build(infra.settings(name, prefix), tracer_provider=provider, gate=None)
        for name, build in (
            ("registry", build_registry),
            ("diagnostics", build_diagnostics),
            ("routes", build_routes),
            ("indicators", build_indicators),
        )
    ]
    for runtime in runtimes:
        await runtime.start()
    source = KafkaBroker(infra.kafka, middlewares=[KafkaTelemetryMiddleware(tracer_provider=provider)])
    await source.start()
    try:
        publisher = EventPublisher(source)
        catalogue = [
            ProgramRegistered.create(
                ProgramRecorded(
                    program_id="dpp-1",
                    provider_id="iro",
                    title="Цифровая школа",
                    hours=36,
                    competencies=("digital_platforms",),
                    topic="digital",
                    register_id="FR-1",
                    register_from=date(2023, 1, 1),
                ),
                source="cnppm-test",
                region=region,
            ),
            SupportStaffRegistered.create(
                SupportStaffRecorded(
                    staff_id="met-1", kind="methodist", organization_id="cnppm", municipality_id="m-1", capacity=250
                ),
                source="cnppm-test",
                region=region,
            ),
        ]
        await publisher.publish_all(catalogue, inbound=True)
        educator = educator_registered(region, 77)
        result = DiagnosticResultSubmitted.create(
            DiagnosticResult(
                session_id="trace-s1",
                educator_id=educator.payload.educator_id,
                role="teacher",
                kind="initial",
                taken_on=date(2024, 10, 1),
                scores={"digital_platforms": 35.0, "subject_knowledge": 90.0},
                conducted_by="cnppm",
            ),
            source="assessment-platform",
            region=region,
        )

        tracer = provider.get_tracer("cnppm-system")
        with tracer.start_as_current_span("cnppm: educator diagnosed") as root:
            await publisher.publish_all([educator], inbound=True)
            await publisher.publish_all([result], inbound=True)
        trace_id = root.get_span_context().trace_id

        def services_in_trace() -> set[str]:
            return {
                s.attributes.get("rsnms.service")
                for s in exporter.get_finished_spans()
                if s.context.trace_id == trace_id and s.attributes.get("rsnms.service")
            }

        def applied() -> set[tuple[str, str]]:
            return {
                (s.attributes["rsnms.service"], s.attributes["rsnms.event_type"])
                for s in exporter.get_finished_spans()
                if s.context.trace_id == trace_id and s.name.endswith(s.attributes.get("rsnms.event_type", "-"))
            }

        async def all_four():
            # the last hop (indicators applying the route) can come after its other spans of the trace
            return applied() >= {
                ("registry", "EducatorRegistered"),
                ("diagnostics", "DiagnosticResultSubmitted"),
                ("routes", "DeficitDiagnosed"),
                ("indicators", "RouteAssigned"),
            }

        await eventually(all_four, timeout=120)
        assert services_in_trace() >= {"registry", "diagnostics", "routes", "indicators"}

        in_trace = [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]
        assert all(s.context.trace_id == trace_id for s in in_trace)

        await runtimes[3].take_snapshot(region)
        snapshot = [s for s in exporter.get_finished_spans() if s.name == "indicators passport snapshot"]
        assert snapshot and any(link.context.trace_id == trace_id for link in snapshot[-1].links)
        published = [
            s
            for s in exporter.get_finished_spans()
            if s.context.trace_id == snapshot[-1].context.trace_id and s is not snapshot[-1]
        ]
        assert published, "publishing the snapshot continues the snapshot's trace"
    finally:
        await source.stop()
        for runtime in reversed(runtimes):
            await runtime.stop()
