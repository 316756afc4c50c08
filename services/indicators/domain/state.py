"""The indicators' view of a region, folded from events: order-independent and idempotent.

Every fact is kept so that applying an event twice, or events in any order, gives the
same state: registry facts keep the highest revision, everything else is a set keyed by
its own id (diagnoses, routes, completions, supports, trainings). Indicators are then
computed from this state as of any date (docs/indicators.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from contracts import (
    ActivityCompleted, CnppmStaffRecorded, CnppmStaffRegistered, CnppmStaffTrainedByFederalOperator,
    DeficitDiagnosed, EducatorDeparted, EducatorMoved, EducatorRecorded, EducatorRegistered, Event,
    ManagementTeamRecorded, ManagementTeamRegistered, OrganizationRecorded, OrganizationRegistered,
    ProgramCompleted, ProgramEnrolled, ProgramRecorded, ProgramRegistered, RoadmapItemRecorded,
    RoadmapItemUpdated, RouteAssigned, RouteCancelled, RouteCompleted, SupportAssigned, SupportStaffRecorded,
    SupportStaffRegistered, TeamProgramCompleted,
)


@dataclass
class EducatorFacts:
    registration: EducatorRecorded | None = None
    #: (transferred_on, organization, municipality)
    moves: set[tuple[date, str, str]] = field(default_factory=set)
    left_on: date | None = None
    #: diagnosis id -> diagnosed_on
    diagnoses: dict[str, date] = field(default_factory=dict)
    #: route id -> (assigned_on, methodist id, program ids of its program items)
    routes: dict[str, tuple[date, str | None, tuple[str, ...]]] = field(default_factory=dict)
    #: route id -> earliest completion or cancellation date
    closed: dict[str, date] = field(default_factory=dict)
    #: (program id, completed_on)
    completions: set[tuple[str, date]] = field(default_factory=set)
    #: support id -> (assigned_on, until)
    supports: dict[str, tuple[date, date | None]] = field(default_factory=dict)

    def placement(self, on: date) -> tuple[str, str] | None:
        """(organization, municipality) as of `on` (docs/indicators.md)."""
        reg = self.registration
        if reg is None:
            return None
        options = [(reg.registered_on, 0, reg.organization_id, reg.municipality_id)]
        options += [(d, 1, o, m) for d, o, m in self.moves if d <= on]
        _, _, org, muni = max(options)
        return org, muni

    def active_on(self, on: date) -> bool:
        reg = self.registration
        return reg is not None and reg.registered_on <= on and (self.left_on is None or self.left_on > on)


def _newer(current: Any, candidate: Any) -> bool:
    return current is None or candidate.revision > current.revision


@dataclass
class RegionState:
    region: str
    organizations: dict[str, OrganizationRecorded] = field(default_factory=dict)
    educators: dict[str, EducatorFacts] = field(default_factory=dict)
    programs: dict[str, ProgramRecorded] = field(default_factory=dict)
    staff: dict[str, SupportStaffRecorded] = field(default_factory=dict)
    teams: dict[str, ManagementTeamRecorded] = field(default_factory=dict)
    team_completions: dict[str, set[tuple[str, date]]] = field(default_factory=dict)
    cnppm_staff: dict[str, CnppmStaffRecorded] = field(default_factory=dict)
    trainings: dict[str, set[date]] = field(default_factory=dict)
    roadmap: dict[str, RoadmapItemRecorded] = field(default_factory=dict)

    def educator(self, eid: str) -> EducatorFacts:
        facts = self.educators.get(eid)
        if facts is None:
            facts = self.educators[eid] = EducatorFacts()
        return facts


#: which entity an event changes: (kind, id) — the unit the store persists
Touched = tuple[str, str]


def fold(state: RegionState, event: Event) -> Touched | None:
    """Apply one event to the region's state; returns the entity it changed (None if ignored)."""
    p = event.payload
    if isinstance(event, OrganizationRegistered):
        if _newer(state.organizations.get(p.organization_id), p):
            state.organizations[p.organization_id] = p
        return "organization", p.organization_id
    if isinstance(event, ProgramRegistered):
        if _newer(state.programs.get(p.program_id), p):
            state.programs[p.program_id] = p
        return "program", p.program_id
    if isinstance(event, SupportStaffRegistered):
        if _newer(state.staff.get(p.staff_id), p):
            state.staff[p.staff_id] = p
        return "staff", p.staff_id
    if isinstance(event, ManagementTeamRegistered):
        if _newer(state.teams.get(p.team_id), p):
            state.teams[p.team_id] = p
        return "team", p.team_id
    if isinstance(event, TeamProgramCompleted):
        state.team_completions.setdefault(p.team_id, set()).add((p.program_id, p.completed_on))
        return "team", p.team_id
    if isinstance(event, CnppmStaffRegistered):
        if _newer(state.cnppm_staff.get(p.staff_id), p):
            state.cnppm_staff[p.staff_id] = p
        return "cnppm_staff", p.staff_id
    if isinstance(event, CnppmStaffTrainedByFederalOperator):
        state.trainings.setdefault(p.staff_id, set()).add(p.trained_on)
        return "cnppm_staff", p.staff_id
    if isinstance(event, RoadmapItemUpdated):
        if _newer(state.roadmap.get(p.item_id), p):
            state.roadmap[p.item_id] = p
        return "roadmap", p.item_id
    return _fold_educator(state, event)


def _fold_educator(state: RegionState, event: Event) -> Touched | None:
    p = event.payload
    if isinstance(event, (ProgramEnrolled, ActivityCompleted)):
        return None  # not part of any indicator; kept by the routes service
    eid = getattr(p, "educator_id", None)
    if eid is None:
        return None
    facts = state.educator(eid)
    if isinstance(event, EducatorRegistered):
        if _newer(facts.registration, p):
            facts.registration = p
    elif isinstance(event, EducatorMoved):
        facts.moves.add((p.transferred_on, p.organization_id, p.municipality_id))
    elif isinstance(event, EducatorDeparted):
        facts.left_on = p.left_on if facts.left_on is None else min(facts.left_on, p.left_on)
    elif isinstance(event, DeficitDiagnosed):
        facts.diagnoses[p.diagnosis_id] = p.diagnosed_on
    elif isinstance(event, RouteAssigned):
        programs = tuple(sorted(i.program_id for i in p.items if i.kind == "program" and i.program_id))
        facts.routes[p.route_id] = (p.assigned_on, p.methodist_id, programs)
    elif isinstance(event, (RouteCompleted, RouteCancelled)):
        previous = facts.closed.get(p.route_id)
        facts.closed[p.route_id] = p.closed_on if previous is None else min(previous, p.closed_on)
    elif isinstance(event, ProgramCompleted):
        facts.completions.add((p.program_id, p.completed_on))
    elif isinstance(event, SupportAssigned):
        facts.supports[p.support_id] = (p.assigned_on, p.until)
    else:
        return None
    return "educator", eid
