"""Information resources of the passport (информационные ресурсы: sites, LMS, databases):
configuration, not events. The federal resources (seed 004 section 5) are listed for every
region; a region adds its own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FEDERAL: tuple[str, ...] = (
    "Сайт Министерства просвещения Российской Федерации: https://edu.gov.ru/",
    "Сайт ФГАОУ ДПО «Академия Минпросвещения России»: https://apkpro.ru/",
    "Цифровая экосистема ДПО (паспорт ДППО): https://education.apkpro.ru/",
)


def _items(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


@dataclass(frozen=True)
class InformationResources:
    default: tuple[str, ...] = FEDERAL
    regions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def for_region(self, region: str) -> tuple[str, ...]:
        """The common resources, then the region's own (without repeats)."""
        return tuple(dict.fromkeys((*self.default, *self.regions.get(region, ()))))

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> InformationResources:
        doc = (doc or {}).get("information_resources") or {}
        default = _items(doc["default"], "information_resources.default") if "default" in doc else FEDERAL
        regions = doc.get("regions") or {}
        return cls(
            default=default, regions={r: _items(v, f"information_resources.regions.{r}") for r, v in regions.items()}
        )
