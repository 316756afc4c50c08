"""The order-independent, idempotent fold of events into entity records (no I/O).

`entity_of(event)` names the one entity an event changes; `apply(record, event)` folds the
event into that entity's record and says whether anything changed. Every operation is a
set union, a minimum, or "the greater wins" (registry facts: the highest `revision`; equal
revisions, which the ledger normally refuses as a conflict, are settled by content), so
applying an event twice, or a set of events in any order, yields the same record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from contracts import (
    CnppmStaffDeparted,
    CnppmStaffRegistered,
    CnppmStaffTrainedByFederalOperator,
    DeficitDiagnosed,
    EducatorDeparted,
    EducatorMoved,
    EducatorRegistered,
    Event,
    ExternalRouteReported,
    ManagementTeamDissolved,
    ManagementTeamRegistered,
    MethodistAttachmentReported,
    OrganizationClosed,
    OrganizationRegistered,
    ProgramCompletionAccepted,
    ProgramImplementationReported,
    ProgramRegistered,
    ProgramRegisterStatusChanged,
    RoadmapItemStatusChanged,
    RoadmapItemUpdated,
    RouteAssigned,
    RouteCancelled,
    RouteCompleted,
    SupportFormReported,
    SupportStaffDeparted,
    SupportStaffRegistered,
    TeamCompletionAccepted,
)
from services.indicators.domain.records import (
    AttachmentFact,
    CnppmStaffRecord,
    DiagnosisFact,
    Done,
    EducatorRecord,
    EntityKind,
    EntityRef,
    ExternalRouteFact,
    FactRecord,
    Move,
    ProgramRecord,
    Record,
    RegionState,
    RoadmapRecord,
    RouteFact,
    SupportFact,
    TeamRecord,
    ValidRecord,
    held,
    kept,
    shared,
)

#: event type -> (entity kind, payload field naming the entity)
ENTITY_OF: dict[type[Event], tuple[EntityKind, str]] = {
    OrganizationRegistered: ("organization", "organization_id"),
    ProgramRegistered: ("program", "program_id"),
    SupportStaffRegistered: ("support_staff", "staff_id"),
    ManagementTeamRegistered: ("team", "team_id"),
    TeamCompletionAccepted: ("team", "team_id"),
    ManagementTeamDissolved: ("team", "team_id"),
    OrganizationClosed: ("organization", "organization_id"),
    SupportStaffDeparted: ("support_staff", "staff_id"),
    CnppmStaffDeparted: ("cnppm_staff", "staff_id"),
    ProgramImplementationReported: ("program", "program_id"),
    ProgramRegisterStatusChanged: ("program", "program_id"),
    RoadmapItemStatusChanged: ("roadmap_item", "item_id"),
    CnppmStaffRegistered: ("cnppm_staff", "staff_id"),
    CnppmStaffTrainedByFederalOperator: ("cnppm_staff", "staff_id"),
    RoadmapItemUpdated: ("roadmap_item", "item_id"),
    EducatorRegistered: ("educator", "educator_id"),
    EducatorMoved: ("educator", "educator_id"),
    EducatorDeparted: ("educator", "educator_id"),
    DeficitDiagnosed: ("educator", "educator_id"),
    RouteAssigned: ("educator", "educator_id"),
    RouteCompleted: ("educator", "educator_id"),
    RouteCancelled: ("educator", "educator_id"),
    ProgramCompletionAccepted: ("educator", "educator_id"),
    SupportFormReported: ("educator", "educator_id"),
    MethodistAttachmentReported: ("educator", "educator_id"),
    ExternalRouteReported: ("educator", "educator_id"),
}


def entity_of(event: Event) -> EntityRef | None:
    """The entity an event changes; None for events no indicator uses: enrolments, activities,
    progress the routes service has not accepted (`ProgramCompleted`, `TeamProgramCompleted`:
    only its acceptance counts), and support forms the platform opened itself in earlier
    versions (`SupportAssigned`: not a fact reported by the world)."""
    found = ENTITY_OF.get(type(event))
    if found is None:
        return None
    kind, field = found
    return EntityRef(kind, getattr(event.payload, field))


def supersedes(candidate: Any, current: Any) -> bool:
    """Registry facts: the highest revision wins; equal revisions are settled by content, so the
    winner never depends on the arrival order."""
    if current is None:
        return True
    if candidate.revision != current.revision:
        return bool(candidate.revision > current.revision)
    return bool(candidate.model_dump_json() > current.model_dump_json())


def _fact(record: FactRecord[Any], payload: Any) -> bool:
    if supersedes(payload, record.fact):
        changed: bool = record.fact != payload
        record.fact = held(payload)
        return changed
    return False


def _own_set(record: Any, name: str) -> set[Any]:
    """The record's own set `name`, made on its first item (until then the shared `NOTHING`)."""
    items = getattr(record, name)
    if not isinstance(items, set):
        items = set(items)
        setattr(record, name, items)
    return items


def _own_map(record: Any, name: str) -> dict[str, Any]:
    """The record's own map `name`, made on its first entry (until then a shared empty one)."""
    mapping = getattr(record, name)
    if not isinstance(mapping, dict):
        mapping = dict(mapping)
        setattr(record, name, mapping)
    return mapping


def _add(record: Any, name: str, item: Any) -> bool:
    if item in getattr(record, name):
        return False
    _own_set(record, name).add(item)
    return True


def _least(record: Any, name: str, key: str, day: date) -> bool:
    """Keep the earliest date per key."""
    mapping = getattr(record, name)
    if key in mapping and mapping[key] <= day:
        return False
    _own_map(record, name)[key] = day
    return True


def _greatest(record: Any, name: str, key: str, value: Any, order: Callable[[Any], Any]) -> bool:
    """Keep the greatest value per key (a deterministic choice if a key is reported twice)."""
    mapping = getattr(record, name)
    if key in mapping and order(mapping[key]) >= order(value):
        return False
    _own_map(record, name)[key] = value
    return True


def _route_order(r: RouteFact) -> tuple[date, str, tuple[str, ...]]:
    return r.assigned_on, r.methodist_id or "", r.program_ids


def _revision_order(x: tuple[Any, ...]) -> tuple[tuple[bool, Any], ...]:
    """Reported forms, attachments and outside routes: the highest revision wins; equal
    revisions are settled by content, so the winner never depends on the arrival order."""
    return tuple((v is None, v) for v in x)


def _diagnosis_order(x: DiagnosisFact) -> tuple[int, str]:
    return -x.on.toordinal(), x.by


def _left(record: EducatorRecord, day: date) -> bool:
    if record.left_on is not None and record.left_on <= day:
        return False
    record.left_on = day
    return True


def _ended(record: ValidRecord[Any], day: date) -> bool:
    """The earliest reported end wins."""
    if record.ended_on is not None and record.ended_on <= day:
        return False
    record.ended_on = day
    return True


def _apply_educator(record: EducatorRecord, event: Event) -> bool:
    p: Any = event.payload
    if isinstance(event, EducatorRegistered):
        return _fact(record, p)
    if isinstance(event, EducatorMoved):
        return _add(record, "moves", kept(Move(p.transferred_on, p.organization_id, p.municipality_id)))
    if isinstance(event, EducatorDeparted):
        return _left(record, shared(p.left_on))
    if isinstance(event, DeficitDiagnosed):
        fact = kept(DiagnosisFact(p.diagnosed_on, p.conducted_by))
        return _greatest(record, "diagnoses", p.diagnosis_id, fact, _diagnosis_order)
    if isinstance(event, RouteAssigned):
        programs = tuple(sorted({i.program_id for i in p.items if i.kind == "program" and i.program_id}))
        route = kept(RouteFact(p.assigned_on, p.methodist_id, programs))
        return _greatest(record, "routes", p.route_id, route, _route_order)
    if isinstance(event, (RouteCompleted, RouteCancelled)):
        return _least(record, "closed", p.route_id, shared(p.closed_on))
    if isinstance(event, ProgramCompletionAccepted):
        return _add(record, "completions", kept(Done(p.program_id, p.completed_on)))
    if isinstance(event, SupportFormReported):
        form = kept(SupportFact(p.revision, p.kind, p.supporter_id, p.confirmed, p.started_on, p.ended_on))
        return _greatest(record, "supports", p.support_id, form, _revision_order)
    if isinstance(event, MethodistAttachmentReported):
        link = kept(AttachmentFact(p.revision, p.methodist_id, p.confirmed, p.attached_from, p.attached_to))
        return _greatest(record, "attachments", p.attachment_id, link, _revision_order)
    if isinstance(event, ExternalRouteReported):
        ext = ExternalRouteFact(p.revision, shared(p.developed_on), p.diagnosis_id, shared(p.source_system))
        return _greatest(record, "external_routes", p.route_id, ext, _revision_order)
    return False


def apply(record: Record, event: Event) -> bool:
    """Fold one event into the record of its entity; True if the record changed."""
    p: Any = event.payload
    if isinstance(record, EducatorRecord):
        return _apply_educator(record, event)
    if isinstance(record, TeamRecord) and isinstance(event, TeamCompletionAccepted):
        return _add(record, "completions", kept(Done(p.program_id, p.completed_on)))
    if isinstance(record, ValidRecord) and isinstance(
        event, (ManagementTeamDissolved, OrganizationClosed, SupportStaffDeparted, CnppmStaffDeparted)
    ):
        day = getattr(p, "dissolved_on", None) or getattr(p, "closed_on", None) or p.left_on
        return _ended(record, day)
    if isinstance(record, ProgramRecord) and isinstance(event, ProgramImplementationReported):
        return _add(record, "periods", (p.period_from, p.period_to))
    if isinstance(record, ProgramRecord) and isinstance(event, ProgramRegisterStatusChanged):
        return _add(record, "register", (p.effective, p.status == "included"))
    if isinstance(record, RoadmapRecord) and isinstance(event, RoadmapItemStatusChanged):
        return _add(record, "statuses", (p.effective, p.status))
    if isinstance(record, CnppmStaffRecord) and isinstance(event, CnppmStaffTrainedByFederalOperator):
        return _add(record, "trainings", p.trained_on)
    if isinstance(
        event,
        (
            OrganizationRegistered,
            ProgramRegistered,
            SupportStaffRegistered,
            ManagementTeamRegistered,
            CnppmStaffRegistered,
            RoadmapItemUpdated,
        ),
    ):
        return _fact(record, p)
    return False


def fold(state: RegionState, event: Event) -> EntityRef | None:
    """Fold one event into a region's state (in memory); the entity it concerns, or None."""
    ref = entity_of(event)
    if ref is not None:
        apply(state.record(ref), event)
    return ref


def join(into: Record, other: Record) -> bool:
    """Merge `other` into `into` with the fold's own rules (the least upper bound of the two
    records); True if `into` changed.

    Every field is a set union, a minimum or "the greater wins", so records form a semilattice:
    folding events in any grouping and joining the partial records gives the record of folding
    them all at once. The state journal relies on it (`adapters/state_store`): each batch
    stores only what it learned, and any reader joins the entries in any order.
    """
    changed = False
    if other.fact is not None:
        changed |= _fact(into, other.fact)
    if isinstance(into, EducatorRecord) and isinstance(other, EducatorRecord):
        for move in other.moves:
            changed |= _add(into, "moves", move)
        if other.left_on is not None:
            changed |= _left(into, other.left_on)
        for key, dx in other.diagnoses.items():
            changed |= _greatest(into, "diagnoses", key, dx, _diagnosis_order)
        for key, route in other.routes.items():
            changed |= _greatest(into, "routes", key, route, _route_order)
        for key, day in other.closed.items():
            changed |= _least(into, "closed", key, day)
        for done in other.completions:
            changed |= _add(into, "completions", done)
        for key, support in other.supports.items():
            changed |= _greatest(into, "supports", key, support, _revision_order)
        for key, link in other.attachments.items():
            changed |= _greatest(into, "attachments", key, link, _revision_order)
        for key, ext in other.external_routes.items():
            changed |= _greatest(into, "external_routes", key, ext, _revision_order)
    if isinstance(into, ValidRecord) and isinstance(other, ValidRecord) and other.ended_on is not None:
        changed |= _ended(into, other.ended_on)
    if isinstance(into, TeamRecord) and isinstance(other, TeamRecord):
        for done in other.completions:
            changed |= _add(into, "completions", done)
    elif isinstance(into, CnppmStaffRecord) and isinstance(other, CnppmStaffRecord):
        for day in other.trainings:
            changed |= _add(into, "trainings", day)
    elif isinstance(into, ProgramRecord) and isinstance(other, ProgramRecord):
        for period in other.periods:
            changed |= _add(into, "periods", period)
        for change in other.register:
            changed |= _add(into, "register", change)
    elif isinstance(into, RoadmapRecord) and isinstance(other, RoadmapRecord):
        for status in other.statuses:
            changed |= _add(into, "statuses", status)
    return changed
