"""Settings: the batch size is what the caller says, else RSNMS_BATCH_MAX_RECORDS, else the
service's own default (bigger for the indicators service, which pays a fixed cost per batch)."""

from __future__ import annotations

from rsnms_runtime.settings import BATCH_DEFAULTS, DEFAULT_BATCH, Settings


def test_batch_size_defaults_per_service_and_yields_to_the_environment_and_the_caller(monkeypatch):
    monkeypatch.delenv("RSNMS_BATCH_MAX_RECORDS", raising=False)
    assert Settings(service="indicators").batch_max_records == BATCH_DEFAULTS["indicators"] > DEFAULT_BATCH
    assert Settings(service="routes").batch_max_records == DEFAULT_BATCH
    monkeypatch.setenv("RSNMS_BATCH_MAX_RECORDS", "50")
    assert Settings(service="indicators").batch_max_records == Settings(service="routes").batch_max_records == 50
    assert Settings(service="indicators", batch_max_records=7).batch_max_records == 7
