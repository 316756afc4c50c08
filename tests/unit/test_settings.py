"""Settings: the batch size is what the caller says, else RSNMS_BATCH_MAX_RECORDS, else one
default for every service; the consumers' session timeout; traces go where the settings say."""

from __future__ import annotations

import pydantic
import pytest

from rsnms_runtime.settings import DEFAULT_BATCH, Settings


def test_batch_size_defaults_alike_and_yields_to_the_environment_and_the_caller(monkeypatch):
    monkeypatch.delenv("RSNMS_BATCH_MAX_RECORDS", raising=False)
    assert (
        Settings(service="indicators").batch_max_records
        == Settings(service="routes").batch_max_records
        == DEFAULT_BATCH
    )
    monkeypatch.setenv("RSNMS_BATCH_MAX_RECORDS", "50")
    assert Settings(service="indicators").batch_max_records == Settings(service="routes").batch_max_records == 50
    assert Settings(service="indicators", batch_max_records=7).batch_max_records == 7
    monkeypatch.setenv("RSNMS_BATCH_MAX_RECORDS", "0")
    with pytest.raises(pydantic.ValidationError):
        Settings(service="routes")


def test_a_consumer_is_dropped_after_30_s_without_heartbeat_unless_told(monkeypatch):
    monkeypatch.delenv("RSNMS_SESSION_TIMEOUT_MS", raising=False)
    assert Settings(service="routes").session_timeout_ms == 30_000
    assert Settings.from_env({"RSNMS_SESSION_TIMEOUT_MS": "45000"}, service="routes").session_timeout_ms == 45_000
    with pytest.raises(pydantic.ValidationError):  # below the broker's group.min.session.timeout.ms
        Settings.from_env({"RSNMS_SESSION_TIMEOUT_MS": "1000"}, service="routes")


def test_traces_are_exported_to_the_endpoint_the_settings_name(monkeypatch):
    from opentelemetry.exporter.otlp.proto.http import trace_exporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    from rsnms_runtime.telemetry import configure_tracing

    endpoints: list[str] = []

    class Exporter:
        def __init__(self, endpoint: str) -> None:
            endpoints.append(endpoint)

        def export(self, spans: object) -> SpanExportResult:
            return SpanExportResult.SUCCESS

        def shutdown(self) -> None:
            pass

    monkeypatch.setattr(trace_exporter, "OTLPSpanExporter", Exporter)
    settings = Settings.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}, service="routes")
    configure_tracing(settings.service, otlp_endpoint=settings.otel_exporter_otlp_endpoint).shutdown()
    configure_tracing("routes").shutdown()  # no endpoint: no exporter
    assert endpoints == ["http://collector:4318/v1/traces"]
