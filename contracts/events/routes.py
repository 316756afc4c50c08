"""Individual educational routes (ИОМ), the platform's proposals of supporters, the progress that
program providers report (enrolment, completion, informal activities) and the routes service's
decision on it.

`SupportAssigned` is no longer emitted: the platform cannot make a support form true. It still
decodes (old logs); no indicator reads it. The platform may propose a supporter
(`SupportProposed`, with the reason), which counts for nothing until the organization reports a
confirmed form (`SupportFormReported`). Progress counts only once the routes service, which owns
routes, has accepted it (`ProgramCompletionAccepted`, `TeamCompletionAccepted`); what it refuses is
dead-lettered by it alone."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from contracts.envelope import ID_PATTERN, Event, Record
from contracts.events.registry import EducatorId

EntityId = Field(pattern=ID_PATTERN)
ItemKind = Literal["program", "internship", "master_class", "mentoring", "horizontal_learning"]


class RouteItem(Record):
    item_id: str = EntityId
    kind: ItemKind
    program_id: str | None = None
    in_federal_register: bool = False
    hours: int = Field(ge=0)
    covers: tuple[str, ...] = Field(description="competencies (deficits) this item addresses")
    reason: str = Field(description="why the item is in the route, for the educator and methodist")


class Route(Record):
    route_id: str = EntityId
    educator_id: str = EducatorId
    diagnosis_id: str = EntityId
    assigned_on: date
    methodist_id: str | None = None
    items: tuple[RouteItem, ...]
    uncovered: tuple[str, ...] = Field(default=(), description="deficits no available program addresses")
    total_hours: int = Field(ge=0)


class RouteAssigned(Event):
    event_type: Literal["RouteAssigned"] = "RouteAssigned"
    schema_version: Literal[1] = 1
    payload: Route
    key_field: ClassVar[str] = "educator_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("route_id",)


class RouteClosure(Record):
    route_id: str = EntityId
    educator_id: str = EducatorId
    closed_on: date
    reason: str


class RouteCompleted(Event):
    event_type: Literal["RouteCompleted"] = "RouteCompleted"
    schema_version: Literal[1] = 1
    payload: RouteClosure
    key_field: ClassVar[str] = "educator_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("route_id",)


class RouteCancelled(Event):
    event_type: Literal["RouteCancelled"] = "RouteCancelled"
    schema_version: Literal[1] = 1
    payload: RouteClosure
    key_field: ClassVar[str] = "educator_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("route_id",)


class Support(Record):
    """A support form the routes service used to open by itself (schema of old logs only)."""

    support_id: str = EntityId
    educator_id: str = EducatorId
    form: Literal["mentoring", "tutoring"]
    mentor_id: str | None = None
    assigned_on: date
    until: date | None = None


class SupportAssigned(Event):
    event_type: Literal["SupportAssigned"] = "SupportAssigned"
    schema_version: Literal[1] = 1
    payload: Support
    key_field: ClassVar[str] = "educator_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("support_id",)


class Enrolment(Record):
    educator_id: str = EducatorId
    program_id: str = EntityId
    route_id: str | None = None
    enrolled_on: date


class ProgramEnrolled(Event):
    event_type: Literal["ProgramEnrolled"] = "ProgramEnrolled"
    schema_version: Literal[1] = 1
    payload: Enrolment
    key_field: ClassVar[str] = "educator_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("educator_id", "program_id", "enrolled_on")


class Completion(Record):
    educator_id: str = EducatorId
    program_id: str = EntityId
    route_id: str | None = None
    completed_on: date


class ProgramCompleted(Event):
    event_type: Literal["ProgramCompleted"] = "ProgramCompleted"
    schema_version: Literal[1] = 1
    payload: Completion
    key_field: ClassVar[str] = "educator_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("educator_id", "program_id", "completed_on")


class Activity(Record):
    educator_id: str = EducatorId
    activity_kind: Literal["internship", "master_class", "mentoring", "horizontal_learning"]
    route_id: str | None = None
    item_id: str | None = None
    completed_on: date


class ActivityCompleted(Event):
    event_type: Literal["ActivityCompleted"] = "ActivityCompleted"
    schema_version: Literal[1] = 1
    payload: Activity
    key_field: ClassVar[str] = "educator_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("educator_id", "activity_kind", "item_id", "completed_on")


class TeamCompletion(Record):
    team_id: str = EntityId
    program_id: str = EntityId
    completed_on: date


class TeamProgramCompleted(Event):
    """A school management team (управленческая команда) completed a program together."""

    event_type: Literal["TeamProgramCompleted"] = "TeamProgramCompleted"
    schema_version: Literal[1] = 1
    payload: TeamCompletion
    key_field: ClassVar[str] = "team_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("team_id", "program_id")


class Proposal(Record):
    """Decision support: the platform proposes a supporter (None when there is nobody of the kind)
    for an educator, a mentor for a young teacher or a methodist for a route, and says why. Not a
    fact about the world: it counts for nothing until the organization reports it confirmed."""

    educator_id: str = EducatorId
    role: Literal["mentor", "methodist"]
    staff_id: str | None = Field(default=None, pattern=ID_PATTERN)
    route_id: str | None = Field(default=None, pattern=ID_PATTERN, description="the route a methodist is proposed for")
    proposed_on: date
    reason: str = Field(min_length=1, max_length=500)


class SupportProposed(Event):
    event_type: Literal["SupportProposed"] = "SupportProposed"
    schema_version: Literal[1] = 1
    payload: Proposal
    key_field: ClassVar[str] = "educator_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("educator_id", "role", "route_id", "proposed_on")


class ProgramCompletionAccepted(Event):
    """The routes service accepted a `ProgramCompleted` (same payload; `route_id` as reported)."""

    event_type: Literal["ProgramCompletionAccepted"] = "ProgramCompletionAccepted"
    schema_version: Literal[1] = 1
    payload: Completion
    key_field: ClassVar[str] = "educator_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("educator_id", "program_id", "completed_on")


class TeamCompletionAccepted(Event):
    """The routes service accepted a `TeamProgramCompleted` (same payload)."""

    event_type: Literal["TeamCompletionAccepted"] = "TeamCompletionAccepted"
    schema_version: Literal[1] = 1
    payload: TeamCompletion
    key_field: ClassVar[str] = "team_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("team_id", "program_id")


ROUTE_EVENTS: tuple[type[Event], ...] = (
    RouteAssigned,
    RouteCompleted,
    RouteCancelled,
    SupportAssigned,
    SupportProposed,
    ProgramCompletionAccepted,
    TeamCompletionAccepted,
)
PROGRESS_EVENTS: tuple[type[Event], ...] = (
    ProgramEnrolled,
    ProgramCompleted,
    ActivityCompleted,
    TeamProgramCompleted,
)
