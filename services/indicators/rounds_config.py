"""Configuration of monitoring rounds: the road map's planned volumes (`rounds.yaml` beside this
module, or the file named by RSNMS_ROUNDS_CONFIG, see settings.py); any error stops the service at
start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from services.indicators.domain.analysis import Volumes

ROUNDS_FILE = Path(__file__).resolve().parent / "rounds.yaml"
MEASURES = ("routes", "trained", "management_teams")


def _plan(doc: Mapping[str, Any] | None, where: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in (doc or {}).items():
        if key == "years":
            continue
        if key not in MEASURES:
            raise ValueError(f"{where}: unknown measure {key!r} (expected one of {', '.join(MEASURES)})")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{where}: {key} must be a non-negative whole number, got {value!r}")
        out[key] = value
    return out


@dataclass(frozen=True)
class RoundsConfig:
    default: Mapping[str, int] = field(default_factory=dict)
    years: Mapping[int, Mapping[str, int]] = field(default_factory=dict)
    regions: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    region_years: Mapping[str, Mapping[int, Mapping[str, int]]] = field(default_factory=dict)

    def volumes(self, region: str, year: int) -> Volumes:
        plan = dict(self.default) | dict(self.years.get(year, {})) | dict(self.regions.get(region, {}))
        plan |= dict(self.region_years.get(region, {}).get(year, {}))
        return Volumes(planned=plan)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> RoundsConfig:
        volumes = (doc or {}).get("roadmap_volumes") or {}
        regions = volumes.get("regions") or {}

        def years(d: Mapping[str, Any] | None, where: str) -> dict[int, dict[str, int]]:
            return {int(y): _plan(v, f"{where}.years.{y}") for y, v in ((d or {}).get("years") or {}).items()}

        return cls(
            default=_plan(volumes.get("default"), "roadmap_volumes.default"),
            years=years(volumes, "roadmap_volumes"),
            regions={r: _plan(v, f"roadmap_volumes.regions.{r}") for r, v in regions.items()},
            region_years={r: years(v, f"roadmap_volumes.regions.{r}") for r, v in regions.items()},
        )

    @classmethod
    def from_path(cls, path: Path = ROUNDS_FILE) -> RoundsConfig:
        try:
            return cls.from_doc(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from exc
