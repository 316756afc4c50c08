"""The competency framework (рамка профессиональных компетенций): areas, the roles each area
applies to, competencies with a threshold, and the severity bands of a deficit.

Pure data with validation (pydantic); reading the YAML files is `services.diagnostics.config`.
Ids of areas and competencies are snake_case: they become MongoDB/FerretDB keys (scores,
growth), where '.' and a leading '$' are forbidden.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.envelope import ID_PATTERN
from contracts.events.diagnostics import Severity
from contracts.events.registry import Role
from services.diagnostics.domain.errors import UnknownFramework

#: snake_case: safe as a document key and readable in a route's reasons
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"

DEFAULT_SEVERITY_TITLES: dict[Severity, str] = {
    "moderate": "Умеренный дефицит",
    "severe": "Выраженный дефицит",
    "critical": "Критический дефицит",
}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Competency(_Model):
    """One competency: a score below `threshold` (0..100) is a deficit."""

    title: str = Field(min_length=1)
    threshold: float = Field(ge=0, le=100)
    description: str | None = None


class Area(_Model):
    """An area of the professional standard (предметная, методическая, ...) and who is assessed in it."""

    title: str = Field(min_length=1)
    roles: tuple[Role, ...] = Field(min_length=1)
    competencies: dict[str, Competency] = Field(min_length=1)


class SeverityBands(_Model):
    """Severity of a deficit by its gap (threshold - score): below `severe_from` moderate,
    below `critical_from` severe, from `critical_from` on critical."""

    severe_from: float = Field(gt=0, le=100)
    critical_from: float = Field(gt=0, le=100)
    titles: dict[Severity, str] = Field(default_factory=lambda: dict(DEFAULT_SEVERITY_TITLES))

    @model_validator(mode="after")
    def _ordered(self) -> SeverityBands:
        if self.critical_from <= self.severe_from:
            raise ValueError(f"critical_from ({self.critical_from}) must be above severe_from ({self.severe_from})")
        return self

    def of(self, gap: float) -> Severity:
        """The severity of a deficit whose score is `gap` points below its threshold (gap > 0)."""
        if gap >= self.critical_from:
            return "critical"
        if gap >= self.severe_from:
            return "severe"
        return "moderate"


class FrameworkIndex(NamedTuple):
    """A framework's areas looked up by competency and by role."""

    areas: dict[str, Area]
    #: competency id -> (area id, area, competency)
    placed: dict[str, tuple[str, Area, Competency]]
    #: role -> competency id -> (area id, competency), over the areas that apply to the role
    by_role: dict[str, dict[str, tuple[str, Competency]]]

    @classmethod
    def of(cls, areas: dict[str, Area]) -> FrameworkIndex:
        roles = {role for area in areas.values() for role in area.roles}
        return cls(
            areas,
            {cid: (a, area, c) for a, area in areas.items() for cid, c in area.competencies.items()},
            {
                role: {
                    cid: (area_id, c)
                    for area_id, area in areas.items()
                    if role in area.roles
                    for cid, c in area.competencies.items()
                }
                for role in roles
            },
        )


class Framework(_Model):
    """A complete framework; `framework_id` is what a result names in `framework_id`."""

    framework_id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    basis: str | None = Field(default=None, description="the regulation the framework follows")
    severity: SeverityBands
    areas: dict[str, Area] = Field(min_length=1)

    def _index(self) -> FrameworkIndex:
        """Where each competency is and what applies to each role, built on first use (every
        score of every result is looked up) and again for a copy with other areas (`model_copy`
        keeps what its original held)."""
        index = self.__dict__.get("_lookups")
        if index is None or index.areas is not self.areas:
            index = self.__dict__["_lookups"] = FrameworkIndex.of(self.areas)
        return index

    @model_validator(mode="after")
    def _safe_unique_ids(self) -> Framework:
        key = re.compile(KEY_PATTERN)
        seen: dict[str, str] = {}
        for area_id, area in self.areas.items():
            if not key.match(area_id):
                raise ValueError(f"area id {area_id!r} must be snake_case ({KEY_PATTERN})")
            if len(set(area.roles)) != len(area.roles):
                raise ValueError(f"area {area_id!r} repeats a role")
            for cid in area.competencies:
                if not key.match(cid):
                    raise ValueError(f"competency id {cid!r} must be snake_case ({KEY_PATTERN}): no '.', no '$'")
                if cid in seen:
                    raise ValueError(f"competency id {cid!r} is in areas {seen[cid]!r} and {area_id!r}")
                seen[cid] = area_id
        return self

    def locate(self, competency: str) -> tuple[str, Area, Competency] | None:
        """(area id, area, competency) of a competency id, or None if the framework lacks it."""
        return self._index().placed.get(competency)

    def applies(self, competency: str, role: Role) -> bool:
        """Whether `competency` is assessed for `role` (management competencies: managers only)."""
        found = self.locate(competency)
        return found is not None and role in found[1].roles

    def competencies_for(self, role: Role) -> Mapping[str, tuple[str, Competency]]:
        """competency id -> (area id, competency), over the areas that apply to `role`."""
        return self._index().by_role.get(role, {})


class Frameworks(_Model):
    """The frameworks a deployment has, and the one a result without `framework_id` gets."""

    by_id: dict[str, Framework] = Field(min_length=1)
    default_id: str

    @model_validator(mode="after")
    def _default_known(self) -> Frameworks:
        if self.default_id not in self.by_id:
            raise ValueError(f"default framework {self.default_id!r} is not among {sorted(self.by_id)}")
        return self

    def resolve(self, framework_id: str | None) -> Framework:
        """The result's framework (or the default); UnknownFramework if there is no such one."""
        fid = framework_id or self.default_id
        if fid not in self.by_id:
            raise UnknownFramework(f"unknown competency framework {fid!r} (known: {', '.join(sorted(self.by_id))})")
        return self.by_id[fid]
