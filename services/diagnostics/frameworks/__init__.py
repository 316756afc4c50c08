"""Competency frameworks shipped with the diagnostics service, and their loader."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from services.diagnostics.domain.framework import Framework

HERE = Path(__file__).resolve().parent


def load_frameworks(extra_dir: str | None = None) -> dict[str, Framework]:
    """The shipped frameworks plus any YAML in RSNMS_FRAMEWORKS_DIR (a region's own)."""
    paths = sorted(HERE.glob("*.yaml"))
    extra = extra_dir or os.environ.get("RSNMS_FRAMEWORKS_DIR")
    if extra:
        paths += sorted(Path(extra).glob("*.yaml"))
    frameworks = [Framework.model_validate(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in paths]
    return {f.framework_id: f for f in frameworks}


DEFAULT_FRAMEWORK_ID = "ps-teacher-2024"
