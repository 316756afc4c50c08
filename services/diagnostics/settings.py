"""Settings of the diagnostics service: the shared ones and the competency frameworks."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from rsnms_runtime.settings import Settings, env


class DiagnosticsSettings(Settings):
    service: str = Field("diagnostics", validation_alias="service", json_schema_extra={"from_env": False})
    competency_frameworks: Path | None = env(
        "RSNMS_COMPETENCY_FRAMEWORKS", None, "a directory of the region's own competency frameworks (YAML)"
    )
    default_framework: str = env(
        "RSNMS_DEFAULT_FRAMEWORK", "ps-teacher-2024", "the framework of diagnostic results that name none"
    )
