"""OpenTelemetry set-up: a tracer provider named after the service, exporting over
OTLP/HTTP when the settings name an endpoint (OTEL_EXPORTER_OTLP_ENDPOINT; the collector in
docker-compose). The SDK reads the other standard OTEL_* variables itself (sampler, headers)."""

from __future__ import annotations

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter


def configure_tracing(
    service: str, exporter: SpanExporter | None = None, otlp_endpoint: str | None = None
) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": f"rsnms-{service}"}))
    if exporter is None and otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=otlp_endpoint.rstrip("/") + "/v1/traces")
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider
