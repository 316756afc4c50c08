"""Targets of the efficiency indicators (целевые значения): configuration, not code.

Defaults come from seed 002 for 2024 (I1 0.20, I2 0.15, I3 0.30, I4 0.40, I5 0.70,
E1 at most 250, E2 1.00; I6 and RM have none). A document (targets.yaml) overrides them
per year, per region, and per region and year, most specific last:

    default: {I1: 0.20, ...}
    years: {2025: {I1: 0.25}}
    regions:
      RU-XXX: {I3: 0.35, years: {2025: {I3: 0.40}}}

`met` is the rule of docs/indicators.md: `value >= target`, except E1 ("at most"), where
the region's maximum load is compared, and the value elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

INDICATORS = ("I1", "I2", "I3", "I4", "I5", "I6", "E1", "E2", "RM")
#: E1 is "at most": the load must stay at or under the target
AT_MOST = frozenset({"E1"})
SEED_002_2024: Mapping[str, float] = {
    "I1": 0.20,
    "I2": 0.15,
    "I3": 0.30,
    "I4": 0.40,
    "I5": 0.70,
    "E1": 250.0,
    "E2": 1.00,
}

Values = Mapping[str, float]


def _values(doc: Mapping[str, Any] | None, where: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in (doc or {}).items():
        if key == "years":
            continue
        if key not in INDICATORS:
            raise ValueError(f"{where}: unknown indicator {key!r} (expected one of {', '.join(INDICATORS)})")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{where}: target of {key} must be a non-negative number, got {value!r}")
        out[key] = float(value)
    return out


def _years(doc: Mapping[str, Any] | None, where: str) -> dict[int, dict[str, float]]:
    years = (doc or {}).get("years") or {}
    if not isinstance(years, Mapping):
        raise ValueError(f"{where}.years must be a mapping of year -> targets")
    return {int(y): _values(v, f"{where}.years.{y}") for y, v in years.items()}


@dataclass(frozen=True)
class Targets:
    default: Values = field(default_factory=lambda: dict(SEED_002_2024))
    regions: Mapping[str, Values] = field(default_factory=dict)
    years: Mapping[int, Values] = field(default_factory=dict)
    region_years: Mapping[str, Mapping[int, Values]] = field(default_factory=dict)

    def for_region(self, region: str, year: int | None = None) -> dict[str, float]:
        """The targets of a region (for a year, if given): default < year < region < region and year."""
        out = dict(self.default)
        if year is not None:
            out |= self.years.get(year, {})
        out |= self.regions.get(region, {})
        if year is not None:
            out |= self.region_years.get(region, {}).get(year, {})
        return out

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> Targets:
        """Parse a targets document; an unknown indicator or a bad value is an error, not ignored."""
        doc = doc or {}
        unknown = set(doc) - {"default", "years", "regions"}
        if unknown:
            raise ValueError(f"targets: unknown sections {sorted(unknown)}")
        default = _values(doc["default"], "default") if "default" in doc else dict(SEED_002_2024)
        regions = doc.get("regions") or {}
        return cls(
            default=default,
            years=_years(doc, "targets"),
            regions={r: _values(v, f"regions.{r}") for r, v in regions.items()},
            region_years={r: _years(v, f"regions.{r}") for r, v in regions.items()},
        )


def met(indicator: str, value: float | None, target: float | None, max_load: float | None = None) -> bool | None:
    """Whether a value meets its target (None when either is unknown)."""
    if target is None or value is None:
        return None
    if indicator in AT_MOST:
        return (max_load if max_load is not None else value) <= target
    return value >= target
