"""Targets of the efficiency indicators (целевые значения): configuration, not code.

A target belongs to an indicator *definition* (I4, the federal wording, and I4R, seed 002's
«принявших участие в программах повышения квалификации», are two definitions), a region and a
year (2021 onward). Nothing is assumed: without a configured target the value shows «цель не
установлена». The document (targets.yaml) gives them, most specific last:

    default: {}                      # every region, every year
    years: {2024: {I1: 0.20}}        # every region, one year
    regions:
      RU-YEV: {years: {2024: {I1: 0.20, I4R: 0.40, ...}}}
    i1_providers:                    # who conducts the diagnoses I1 counts
      default: [cnppm]
      regions: {RU-KYA: [cnppm, copmkp]}

`met` is the rule of docs/indicators.md: `value >= target`, except E1 ("at most"), where
the region's maximum load is compared, and the value elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

INDICATORS = ("I1", "I2", "I3", "I4", "I4R", "I5", "I6", "E1", "E2", "RM")
#: E1 is "at most": the load must stay at or under the target
AT_MOST = frozenset({"E1"})
#: seed 002 (Jewish Autonomous Oblast), section 6.2, targets «к 2024 г»; its 40 % of management
#: teams belongs to its own wording (I4R), not to the federal I4
SEED_002_2024: Mapping[str, float] = {
    "I1": 0.20,
    "I2": 0.15,
    "I3": 0.30,
    "I4R": 0.40,
    "I5": 0.70,
    "E1": 250.0,
    "E2": 1.00,
}
FIRST_YEAR = 2021
PROVIDERS = ("cnppm", "copmkp", "other_centre", "unknown")
DEFAULT_I1_PROVIDERS = frozenset({"cnppm"})

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
    out = {}
    for y, v in years.items():
        if int(y) < FIRST_YEAR:
            raise ValueError(f"{where}.years.{y}: targets are set from {FIRST_YEAR} on")
        out[int(y)] = _values(v, f"{where}.years.{y}")
    return out


def _providers(doc: Any, where: str) -> frozenset[str]:
    if not isinstance(doc, (list, tuple)) or not doc:
        raise ValueError(f"{where}: a non-empty list of providers ({', '.join(PROVIDERS)})")
    unknown = set(doc) - set(PROVIDERS)
    if unknown:
        raise ValueError(f"{where}: unknown providers {sorted(unknown)} (expected {', '.join(PROVIDERS)})")
    return frozenset(doc)


@dataclass(frozen=True)
class Targets:
    default: Values = field(default_factory=dict)
    regions: Mapping[str, Values] = field(default_factory=dict)
    years: Mapping[int, Values] = field(default_factory=dict)
    region_years: Mapping[str, Mapping[int, Values]] = field(default_factory=dict)
    i1_default: frozenset[str] = DEFAULT_I1_PROVIDERS
    i1_regions: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def i1_providers(self, region: str) -> frozenset[str]:
        """Whose diagnoses I1 counts in a region (seed 004: «в ЦНППМ»; a region may add others)."""
        return self.i1_regions.get(region, self.i1_default)

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
        unknown = set(doc) - {"default", "years", "regions", "i1_providers"}
        if unknown:
            raise ValueError(f"targets: unknown sections {sorted(unknown)}")
        regions = doc.get("regions") or {}
        providers = doc.get("i1_providers") or {}
        return cls(
            default=_values(doc.get("default"), "default"),
            years=_years(doc, "targets"),
            regions={r: _values(v, f"regions.{r}") for r, v in regions.items()},
            region_years={r: _years(v, f"regions.{r}") for r, v in regions.items()},
            i1_default=_providers(providers["default"], "i1_providers.default")
            if "default" in providers
            else DEFAULT_I1_PROVIDERS,
            i1_regions={
                r: _providers(v, f"i1_providers.regions.{r}") for r, v in (providers.get("regions") or {}).items()
            },
        )


def met(indicator: str, value: float | None, target: float | None, max_load: float | None = None) -> bool | None:
    """Whether a value meets its target (None when either is unknown)."""
    if target is None or value is None:
        return None
    if indicator in AT_MOST:
        return (max_load if max_load is not None else value) <= target
    return value >= target
