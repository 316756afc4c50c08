"""Competency titles for the reasons of route items, read from the competency framework
files (data files the diagnostics service ships; YAML with areas → competencies → title).

RSNMS_COMPETENCY_FRAMEWORKS names the directory; without titles the reasons use the
competency ids.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "diagnostics" / "frameworks"


def competency_titles(directory: Path | str | None = None) -> dict[str, str]:
    """competency id -> Russian title, over every framework file of the directory."""
    folder = Path(directory or os.environ.get("RSNMS_COMPETENCY_FRAMEWORKS") or DEFAULT_DIR)
    titles: dict[str, str] = {}
    if not folder.is_dir():
        return titles
    for path in sorted(folder.glob("*.y*ml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for area in (doc.get("areas") or {}).values():
            for cid, competency in (area.get("competencies") or {}).items():
                if isinstance(competency, dict) and competency.get("title"):
                    titles.setdefault(str(cid), str(competency["title"]))
    return titles
