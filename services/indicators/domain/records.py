"""Per-entity state records of the indicators' view of a region (no I/O).

One record per entity the events talk about: an educator (педагогический работник or
управленческий кадр), an organization, a program (ДПП), a support-staff member (региональный
методист, тьютор, наставник), a school management team (управленческая команда), a ЦНППМ
employee and a road-map item (пункт дорожной карты). A record keeps *sets* of facts, never a
sequence, so that folding is order-independent and idempotent (see `fold`). The rules of
docs/indicators.md that need only one record (placement, "active as of D") live here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, Literal, NamedTuple, TypeVar

from contracts import (
    CnppmStaffRecorded,
    EducatorRecorded,
    ManagementTeamRecorded,
    OrganizationRecorded,
    ProgramRecorded,
    RoadmapItemRecorded,
    SupportStaffRecorded,
)

EntityKind = Literal["educator", "organization", "program", "support_staff", "team", "cnppm_staff", "roadmap_item"]
ENTITY_KINDS: tuple[EntityKind, ...] = (
    "educator",
    "organization",
    "program",
    "support_staff",
    "team",
    "cnppm_staff",
    "roadmap_item",
)


class EntityRef(NamedTuple):
    """Which entity of a region an event changes."""

    kind: EntityKind
    entity_id: str


class Move(NamedTuple):
    """An `EducatorMoved`: from `on`, the educator works at this organization."""

    on: date
    organization_id: str
    municipality_id: str


class Done(NamedTuple):
    """A completion of a program (by an educator or a management team)."""

    program_id: str
    on: date


class RouteFact(NamedTuple):
    """What the indicators need of a `RouteAssigned` (ИОМ)."""

    assigned_on: date
    methodist_id: str | None
    #: the programs of its `program` items, sorted
    program_ids: tuple[str, ...]


class SupportFact(NamedTuple):
    """A support form (форма сопровождения) between `assigned_on` and `until` (open if None)."""

    assigned_on: date
    until: date | None


F = TypeVar(
    "F",
    OrganizationRecorded,
    ProgramRecorded,
    SupportStaffRecorded,
    ManagementTeamRecorded,
    CnppmStaffRecorded,
    RoadmapItemRecorded,
    EducatorRecorded,
)


@dataclass
class FactRecord(Generic[F]):
    """A registry fact with a revision: the winning revision (None until one arrives)."""

    fact: F | None = None


@dataclass
class TeamRecord(FactRecord[ManagementTeamRecorded]):
    completions: set[Done] = field(default_factory=set)


@dataclass
class CnppmStaffRecord(FactRecord[CnppmStaffRecorded]):
    #: dates of trainings at the federal operator
    trainings: set[date] = field(default_factory=set)


@dataclass
class EducatorRecord(FactRecord[EducatorRecorded]):
    """Everything the indicators need of one educator (`fact` is the winning registration)."""

    moves: set[Move] = field(default_factory=set)
    #: the earliest `left_on` reported (no departure on or before D <=> left_on > D)
    left_on: date | None = None
    #: diagnosis id -> diagnosed_on
    diagnoses: dict[str, date] = field(default_factory=dict)
    #: route id -> the route
    routes: dict[str, RouteFact] = field(default_factory=dict)
    #: route id -> the earliest completion or cancellation date
    closed: dict[str, date] = field(default_factory=dict)
    completions: set[Done] = field(default_factory=set)
    #: support id -> the support form
    supports: dict[str, SupportFact] = field(default_factory=dict)

    def active_on(self, d: date) -> bool:
        """Registered on or before D and no departure on or before D."""
        reg = self.fact
        return reg is not None and reg.registered_on <= d and (self.left_on is None or self.left_on > d)

    def placement(self, d: date) -> tuple[str, str]:
        """(organization, municipality) as of D: the latest-dated of the registration and the moves
        dated on or before D; on equal dates a move beats the registration and the greater
        organization id beats the smaller. Only for registered educators."""
        reg = self.fact
        assert reg is not None, "placement of an unregistered educator"
        best = (reg.registered_on, 0, reg.organization_id, reg.municipality_id)
        for move in self.moves:
            if move.on <= d:
                best = max(best, (move.on, 1, move.organization_id, move.municipality_id))
        return best[2], best[3]

    @property
    def is_teacher(self) -> bool:
        return self.fact is not None and self.fact.role == "teacher"

    def diagnosed_by(self, d: date) -> bool:
        return any(day <= d for day in self.diagnoses.values())

    def has_route_by(self, d: date) -> bool:
        return any(r.assigned_on <= d for r in self.routes.values())

    def completed_any_by(self, d: date) -> bool:
        return any(c.on <= d for c in self.completions)

    def supported_on(self, d: date) -> bool:
        """A support form assigned on or before D that has not ended before D."""
        return any(s.assigned_on <= d and (s.until is None or s.until >= d) for s in self.supports.values())

    def open_route_methodists(self, d: date) -> set[str]:
        """Methodists of the routes assigned on or before D and neither completed nor cancelled by D."""
        out = set()
        for route_id, route in self.routes.items():
            closed = self.closed.get(route_id)
            if route.assigned_on <= d and route.methodist_id and not (closed is not None and closed <= d):
                out.add(route.methodist_id)
        return out


Record = EducatorRecord | FactRecord[Any] | TeamRecord | CnppmStaffRecord


def new_record(kind: EntityKind) -> Record:
    """An empty record of an entity nothing is known about yet."""
    if kind == "educator":
        return EducatorRecord()
    if kind == "team":
        return TeamRecord()
    if kind == "cnppm_staff":
        return CnppmStaffRecord()
    return FactRecord()


@dataclass
class RegionState:
    """The folded state of one region: every entity's record, by kind and id."""

    region: str
    educators: dict[str, EducatorRecord] = field(default_factory=dict)
    organizations: dict[str, FactRecord[OrganizationRecorded]] = field(default_factory=dict)
    programs: dict[str, FactRecord[ProgramRecorded]] = field(default_factory=dict)
    support_staff: dict[str, FactRecord[SupportStaffRecorded]] = field(default_factory=dict)
    teams: dict[str, TeamRecord] = field(default_factory=dict)
    cnppm_staff: dict[str, CnppmStaffRecord] = field(default_factory=dict)
    roadmap: dict[str, FactRecord[RoadmapItemRecorded]] = field(default_factory=dict)

    def records(self, kind: EntityKind) -> dict[str, Record]:
        """The records of one kind (the dict itself: callers may put into it)."""
        return {
            "educator": self.educators,
            "organization": self.organizations,
            "program": self.programs,
            "support_staff": self.support_staff,
            "team": self.teams,
            "cnppm_staff": self.cnppm_staff,
            "roadmap_item": self.roadmap,
        }[kind]  # type: ignore[return-value]

    def record(self, ref: EntityRef) -> Record:
        """The record of an entity, created empty if unknown."""
        records = self.records(ref.kind)
        found = records.get(ref.entity_id)
        if found is None:
            found = records[ref.entity_id] = new_record(ref.kind)
        return found

    def put(self, ref: EntityRef, record: Record) -> None:
        self.records(ref.kind)[ref.entity_id] = record

    def facts(self, kind: EntityKind) -> dict[str, Any]:
        """The winning facts of one kind, for entities whose registration has arrived."""
        return {k: r.fact for k, r in self.records(kind).items() if r.fact is not None}

    def program(self, program_id: str) -> ProgramRecorded | None:
        record = self.programs.get(program_id)
        return record.fact if record is not None else None

    def organization(self, organization_id: str) -> OrganizationRecorded | None:
        record = self.organizations.get(organization_id)
        return record.fact if record is not None else None
