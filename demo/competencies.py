"""Which competencies an assessment platform scores, per role: read from the default
competency framework the platform ships as shared data (contracts/competencies/)."""

from __future__ import annotations

from pathlib import Path

import yaml

from contracts.competency import SHIPPED_FRAMEWORKS

FRAMEWORK = SHIPPED_FRAMEWORKS / "default.yaml"


def framework_competencies(path: Path = FRAMEWORK) -> dict[str, tuple[str, ...]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {"teacher": [], "manager": []}
    for area in doc["areas"].values():
        for role in area["roles"]:
            out[role].extend(area["competencies"])
    return {role: tuple(ids) for role, ids in out.items()}
