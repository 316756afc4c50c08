"""The competency frameworks every service shares as vocabulary: the shipped framework files
(`contracts/competencies/*.yaml`, areas → competencies with Russian titles, thresholds and bands)
and reading the titles from them. The diagnostics service validates and applies the frameworks;
other services only name competencies, e.g. the routes service in the reasons of route items.
A region's own frameworks are a directory each service names in its own settings."""

from __future__ import annotations

from pathlib import Path

import yaml

from contracts.text import find_control

SHIPPED_FRAMEWORKS = Path(__file__).resolve().parent / "competencies"


def framework_files(directory: Path) -> list[Path]:
    """The framework files of a directory (*.yaml, *.yml), in name order."""
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def competency_titles(*directories: Path | None) -> dict[str, str]:
    """competency id -> Russian title over the shipped frameworks and the given directories
    (a later directory's title wins); a directory that does not exist adds nothing."""
    titles: dict[str, str] = {}
    for folder in (SHIPPED_FRAMEWORKS, *(d for d in directories if d is not None)):
        if not folder.is_dir():
            continue
        for path in framework_files(folder):
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for area in (doc.get("areas") or {}).values():
                for cid, competency in (area.get("competencies") or {}).items():
                    if isinstance(competency, dict) and competency.get("title"):
                        title = str(competency["title"])
                        refusal = find_control(title, f"{cid}.title")
                        if refusal:  # titles go into routes built without checking text again
                            raise ValueError(f"{path}: {refusal}")
                        titles[str(cid)] = title
    return titles
