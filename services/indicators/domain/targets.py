"""Per-region targets of the indicators (configuration, not code): defaults from seed 002
for 2024, overridden per region in targets.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: E1 is "at most": the load must stay at or under the target
AT_MOST = frozenset({"E1"})


@dataclass(frozen=True)
class Targets:
    default: Mapping[str, float]
    regions: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def for_region(self, region: str) -> dict[str, float]:
        return {**self.default, **self.regions.get(region, {})}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Targets:
        def clean(values: Mapping[str, Any]) -> dict[str, float]:
            bad = [k for k in values if k not in {"I1", "I2", "I3", "I4", "I5", "I6", "E1", "E2", "RM"}]
            if bad:
                raise ValueError(f"unknown indicators in targets: {bad}")
            return {k: float(v) for k, v in values.items() if v is not None}

        return cls(clean(doc.get("default") or {}),
                   {r: clean(v or {}) for r, v in (doc.get("regions") or {}).items()})


def met(indicator: str, value: float | None, target: float | None, max_load: float | None = None) -> bool | None:
    if target is None or value is None:
        return None
    if indicator in AT_MOST:
        return (max_load if max_load is not None else value) <= target
    return value >= target
