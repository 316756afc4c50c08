"""Settings of the indicators service: the shared ones and its configuration files and timings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from rsnms_runtime.settings import Settings, env

HERE = Path(__file__).resolve().parent


class IndicatorsSettings(Settings):
    service: str = Field("indicators", validation_alias="service", json_schema_extra={"from_env": False})
    indicator_targets: Path = env(
        "RSNMS_INDICATOR_TARGETS",
        HERE / "targets.yaml",
        "targets per indicator definition, region and year; providers whose diagnoses count for I1 (YAML)",
    )
    passport_config: Path = env(
        "RSNMS_PASSPORT_CONFIG", HERE / "passport.yaml", "information resources per region for the passport (YAML)"
    )
    snapshot_interval_s: float = env(
        "RSNMS_SNAPSHOT_INTERVAL_S", 300.0, "seconds between periodic passport snapshots (0 = on demand only)", ge=0
    )
    rounds_config: Path = env(
        "RSNMS_ROUNDS_CONFIG",
        HERE / "rounds.yaml",
        "monitoring rounds: the road map's planned volumes per region and year (YAML)",
    )
    round_revise_s: float = env(
        "RSNMS_ROUND_REVISE_S",
        1.0,
        "seconds between checks for late events that make new versions of closed rounds",
        gt=0,
    )
    table_debounce_s: float = env(
        "RSNMS_TABLE_DEBOUNCE_S", 0.5, "least seconds between two recomputations of a region's live table", ge=0
    )
