"""The competency framework (рамка компетенций): areas, competencies, thresholds, the roles
each area applies to and the severity bands of a deficit. Pure data with validation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Role = Literal["teacher", "manager"]


class Competency(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    title: str
    threshold: float = Field(ge=0, le=100)


class Area(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    title: str
    roles: tuple[Role, ...]
    competencies: dict[str, Competency] = Field(min_length=1)


class SeverityBands(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    severe_from: float = Field(gt=0)
    critical_from: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> SeverityBands:
        if self.critical_from <= self.severe_from:
            raise ValueError("critical_from must be above severe_from")
        return self

    def of(self, gap: float) -> str:
        if gap >= self.critical_from:
            return "critical"
        if gap >= self.severe_from:
            return "severe"
        return "moderate"


class Framework(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    framework_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
    title: str
    severity: SeverityBands
    areas: dict[str, Area] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Framework:
        seen: set[str] = set()
        for area in self.areas.values():
            for cid in area.competencies:
                if cid in seen or "." in cid or cid.startswith("$"):
                    raise ValueError(f"competency id {cid!r} is repeated or not a safe key")
                seen.add(cid)
        return self

    def area_of(self, competency: str) -> tuple[str, Area] | None:
        for area_id, area in self.areas.items():
            if competency in area.competencies:
                return area_id, area
        return None

    def competencies_for(self, role: Role) -> dict[str, tuple[str, Competency]]:
        """competency id -> (area id, competency) of the areas that apply to `role`."""
        return {cid: (aid, c) for aid, a in self.areas.items() if role in a.roles for cid, c in a.competencies.items()}
