"""Per-entity state records of the indicators' view of a region (no I/O).

One record per entity the events talk about: an educator (педагогический работник or
управленческий кадр), an organization, a program (ДПП), a support-staff member (региональный
методист, тьютор, наставник), a school management team (управленческая команда), a ЦНППМ
employee and a road-map item (пункт дорожной карты). A record keeps *sets* of facts, never a
sequence, so that folding is order-independent and idempotent (see `fold`). The rules of
docs/indicators.md that need only one record (placement, "active as of D", "employed on D",
"status on D") live here: every fact has the date it took effect, so `as_of=D` is what was true
on D, whatever arrived later.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Generic, Literal, NamedTuple, TypeVar

from pydantic import BaseModel

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
    """A reported support form (форма поддержки и сопровождения), its highest revision."""

    revision: int
    kind: str
    supporter_id: str | None
    confirmed: bool
    started_on: date
    ended_on: date | None

    def counts_on(self, d: date) -> bool:
        """Confirmed, with a supporter named, and running on D (end date included)."""
        return (
            self.confirmed
            and self.supporter_id is not None
            and self.started_on <= d
            and (self.ended_on is None or d <= self.ended_on)
        )


class AttachmentFact(NamedTuple):
    """A reported attachment to a regional methodist, its highest revision."""

    revision: int
    methodist_id: str
    confirmed: bool
    attached_from: date
    attached_to: date | None

    def on(self, d: date) -> bool:
        return self.confirmed and self.attached_from <= d and (self.attached_to is None or d <= self.attached_to)


class DiagnosisFact(NamedTuple):
    on: date
    #: who conducted it (cnppm, copmkp, other_centre, unknown)
    by: str


class ExternalRouteFact(NamedTuple):
    """A route (ИОМ) developed outside the platform, its highest revision."""

    revision: int
    developed_on: date
    diagnosis_id: str
    source_system: str


def valid_on(start: date | None, end: date | None, d: date) -> bool:
    """Started on or before D (None: not reported, taken as always) and not ended on or before D."""
    return (start is None or start <= d) and (end is None or end > d)


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


M = TypeVar("M", bound=BaseModel)

#: an empty set or map of a record: one shared immutable instance, replaced by the record's own
#: on its first item (`fold`); a national state holds over a million records, most with a few of
#: their collections filled (an empty set costs 216 bytes, an empty dict 64)
NOTHING: frozenset[Any] = frozenset()


class _NoEntries(Mapping[str, Any]):
    """The shared empty map (copies and pickles of it are itself)."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __copy__(self) -> _NoEntries:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _NoEntries:
        return self

    def __reduce__(self) -> str:
        return "_NO_ENTRIES"


_NO_ENTRIES = _NoEntries()


def no_entries() -> Mapping[str, Any]:
    return _NO_ENTRIES


def held(fact: M) -> M:
    """The fact as a record keeps it: its set of the fields it was given (pydantic's
    `__pydantic_fields_set__`, several hundred bytes) shared with every fact given the same
    fields, and the values many facts repeat (`SHARED_FIELDS`) shared too. A national state
    holds over a million facts (docs/benchmarks/pipeline.md); a fact is never changed after it
    is decoded, so what is shared is never written to."""
    given = fact.__pydantic_fields_set__
    fields_set = _FIELDS_SETS.setdefault(frozenset(given), given)
    if fields_set is not given:
        object.__setattr__(fact, "__pydantic_fields_set__", fields_set)
    values = fact.__dict__
    for name in SHARED_FIELDS.intersection(values):
        values[name] = shared(values[name])
    return fact


_FIELDS_SETS: dict[frozenset[str], set[str]] = {}
#: fields of registry facts whose values many facts repeat (an educator's own id is not one of
#: them; an organization's is: a few thousand, each named by many educators)
SHARED_FIELDS = frozenset(
    {"role", "organization_id", "municipality_id", "birth_year", "career_start", "registered_on"}
    | {"qualification_category", "subject_areas", "kind", "employed_from", "formed_on", "opened_on"}
)
#: the one instance of each value records repeat (`shared`)
_SHARED: dict[Any, Any] = {}
V = TypeVar("V")
T = TypeVar("T", bound=tuple[Any, ...])


def shared(value: V) -> V:
    """The one instance of a value that many records hold (a day, an organization, a
    methodist, a program, a conducting centre): each decoded event brings its own copy, and a
    national state holds millions of them (a day is 32 bytes, an id 50-90). Only for values
    that repeat: each one is kept here for good."""
    found: V = _SHARED.setdefault(value, value)
    return found


def kept(fields: T) -> T:
    """A record's tuple (`DiagnosisFact`, `Move`, ...) with its days, names and tuples of names
    shared; for tuples without a value of their own (an event's id). A tuple of `SHARED_WHOLE`
    is itself shared: there are few distinct ones (a day and a centre, a program and a day)."""
    made = fields._make(shared(v) if isinstance(v, (str, date, tuple)) else v for v in fields)  # type: ignore[attr-defined]
    return shared(made) if isinstance(made, SHARED_WHOLE) else made  # type: ignore[return-value]


@dataclass(slots=True)
class FactRecord(Generic[F]):
    """A registry fact with a revision: the winning revision (None until one arrives)."""

    fact: F | None = None


@dataclass(slots=True)
class ValidRecord(FactRecord[F]):
    """A registry fact whose existence ends on a reported date (a departure, a dissolution, a
    closure): the earliest reported end wins."""

    ended_on: date | None = None


@dataclass(slots=True)
class StaffRecord(ValidRecord[SupportStaffRecorded]):
    def employed_on(self, d: date) -> bool:
        """Registered as active, employed from on or before D, not departed on or before D."""
        f = self.fact
        return f is not None and f.active and valid_on(f.employed_from, self.ended_on, d)


@dataclass(slots=True)
class OrganizationRecord(ValidRecord[OrganizationRecorded]):
    def open_on(self, d: date) -> bool:
        return self.fact is not None and valid_on(self.fact.opened_on, self.ended_on, d)


@dataclass(slots=True)
class TeamRecord(ValidRecord[ManagementTeamRecorded]):
    completions: AbstractSet[Done] = NOTHING

    def exists_on(self, d: date) -> bool:
        return self.fact is not None and valid_on(self.fact.formed_on, self.ended_on, d)


@dataclass(slots=True)
class CnppmStaffRecord(ValidRecord[CnppmStaffRecorded]):
    #: dates of trainings at the federal operator
    trainings: AbstractSet[date] = NOTHING

    def employed_on(self, d: date) -> bool:
        f = self.fact
        return f is not None and f.active and valid_on(f.employed_from, self.ended_on, d)


@dataclass(slots=True)
class ProgramRecord(FactRecord[ProgramRecorded]):
    #: implementation periods (from, to), both days included
    periods: AbstractSet[tuple[date, date]] = NOTHING
    #: ФР ДПП status changes (effective, included?)
    register: AbstractSet[tuple[date, bool]] = NOTHING

    def implemented_on(self, d: date) -> bool:
        """In a reported implementation period on D. Until a first period has started, the
        registration's `implemented` flag (which cannot say since when) decides."""
        if self.fact is None:
            return False
        started = [(a, b) for a, b in self.periods if a <= d]
        if started:
            return any(d <= b for _, b in started)
        return self.fact.implemented

    def in_register_on(self, d: date) -> bool:
        """The latest ФР ДПП change effective on or before D says (an exclusion wins a tie); the
        registration's window counts as changes too: included from `register_from`, excluded
        the day after `register_to`."""
        f = self.fact
        if f is None:
            return False
        changes = set(self.register)
        if f.register_from is not None:
            changes.add((f.register_from, True))
        if f.register_to is not None:
            changes.add((f.register_to + timedelta(days=1), False))
        known = [(day, not included) for day, included in changes if day <= d]
        return bool(known) and not max(known)[1]


ROADMAP_ORDER = {"planned": 0, "in_progress": 1, "done": 2, "cancelled": 3}


@dataclass(slots=True)
class RoadmapRecord(FactRecord[RoadmapItemRecorded]):
    #: status changes (effective, status)
    statuses: AbstractSet[tuple[date, str]] = NOTHING

    def status_on(self, d: date) -> str | None:
        """The latest status effective on or before D (ties: the further status). The
        registration counts as a status change too: `done` with its `completed_on` from that day
        (in progress before), any other status since ever (it cannot say since when)."""
        f = self.fact
        if f is None:
            return None
        entries = set(self.statuses)
        if f.status == "done" and f.completed_on is not None:
            entries |= {(date.min, "in_progress"), (f.completed_on, "done")}
        else:
            entries.add((date.min, f.status))
        known = [(day, ROADMAP_ORDER[s], s) for day, s in entries if day <= d]
        return max(known)[2] if known else None


@dataclass(slots=True)
class EducatorRecord(FactRecord[EducatorRecorded]):
    """Everything the indicators need of one educator (`fact` is the winning registration)."""

    moves: AbstractSet[Move] = NOTHING
    #: the earliest `left_on` reported (no departure on or before D <=> left_on > D)
    left_on: date | None = None
    #: diagnosis id -> when and by whom
    diagnoses: Mapping[str, DiagnosisFact] = field(default_factory=no_entries)
    #: route id -> the route
    routes: Mapping[str, RouteFact] = field(default_factory=no_entries)
    #: route id -> the earliest completion or cancellation date
    closed: Mapping[str, date] = field(default_factory=no_entries)
    #: program completions the routes service accepted
    completions: AbstractSet[Done] = NOTHING
    #: support id -> the reported support form
    supports: Mapping[str, SupportFact] = field(default_factory=no_entries)
    #: attachment id -> the reported attachment to a methodist
    attachments: Mapping[str, AttachmentFact] = field(default_factory=no_entries)
    #: route id -> a route developed outside the platform
    external_routes: Mapping[str, ExternalRouteFact] = field(default_factory=no_entries)

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

    def diagnosed_by(self, d: date, providers: Collection[str]) -> bool:
        """A diagnosis on or before D conducted by one of the counting providers."""
        return any(x.on <= d and x.by in providers for x in self.diagnoses.values())

    def route_sources_by(self, d: date) -> set[str]:
        """Where the routes developed on or before D come from: "platform" or the outside system."""
        out = {"platform"} if any(r.assigned_on <= d for r in self.routes.values()) else set()
        return out | {x.source_system for x in self.external_routes.values() if x.developed_on <= d}

    def completed_any_by(self, d: date) -> bool:
        return any(c.on <= d for c in self.completions)

    def supporters_on(self, d: date) -> set[str]:
        """The supporters of the confirmed support forms running on D."""
        return {s.supporter_id for s in self.supports.values() if s.counts_on(d) and s.supporter_id}

    def methodists_on(self, d: date) -> set[str]:
        """The methodists this educator is attached to on D (confirmed attachments)."""
        return {a.methodist_id for a in self.attachments.values() if a.on(d)}


Record = (
    EducatorRecord
    | FactRecord[Any]
    | TeamRecord
    | CnppmStaffRecord
    | StaffRecord
    | OrganizationRecord
    | ProgramRecord
    | RoadmapRecord
)
RECORD_TYPES: dict[str, type[Record]] = {
    "educator": EducatorRecord,
    "organization": OrganizationRecord,
    "program": ProgramRecord,
    "support_staff": StaffRecord,
    "team": TeamRecord,
    "cnppm_staff": CnppmStaffRecord,
    "roadmap_item": RoadmapRecord,
}


def new_record(kind: EntityKind) -> Record:
    """An empty record of an entity nothing is known about yet."""
    return RECORD_TYPES[kind]()


@dataclass(slots=True)
class RegionState:
    """The folded state of one region: every entity's record, by kind and id."""

    region: str
    educators: dict[str, EducatorRecord] = field(default_factory=dict)
    organizations: dict[str, OrganizationRecord] = field(default_factory=dict)
    programs: dict[str, ProgramRecord] = field(default_factory=dict)
    support_staff: dict[str, StaffRecord] = field(default_factory=dict)
    teams: dict[str, TeamRecord] = field(default_factory=dict)
    cnppm_staff: dict[str, CnppmStaffRecord] = field(default_factory=dict)
    roadmap: dict[str, RoadmapRecord] = field(default_factory=dict)

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


#: record tuples `kept` shares whole
SHARED_WHOLE = (DiagnosisFact, Done)
