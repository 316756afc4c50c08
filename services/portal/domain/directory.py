"""Names people read instead of codes: regions (ISO 3166-2:RU) and their municipalities.

The events carry codes only; the names come from a directory (YAML, `directory.yaml` next to
the service or RSNMS_PORTAL_DIRECTORY). An unknown code is shown as «муниципалитет <код>»,
never silently dropped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Directory:
    regions: Mapping[str, str] = field(default_factory=dict)
    municipalities: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Directory:
        regions: dict[str, str] = {}
        munis: dict[str, dict[str, str]] = {}
        for code, entry in (doc.get("regions") or {}).items():
            regions[code] = entry["name"]
            munis[code] = {str(k): str(v) for k, v in (entry.get("municipalities") or {}).items()}
        return cls(regions, munis)

    def region(self, code: str) -> str:
        return self.regions.get(code, f"регион {code}")

    def municipality(self, region: str, code: str) -> str:
        return self.municipalities.get(region, {}).get(code, f"муниципалитет {code}")
