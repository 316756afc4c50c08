"""Facts dated in the world (valid time) that the indicators read, reported by the systems of the
organizations they belong to, and travelling like master data (submitted to the registry, which
validates them and re-publishes them on the facts topic).

Each says on which day it took effect (`*_on`, `effective`, `*_from`/`*_to`): a fact that
arrives late but is dated in the past changes the past. Reported forms and attachments carry a
`revision` chosen by the reporting system (a later report of the same form, e.g. with its end
date, supersedes the earlier one), the way registry facts do.

- ends of an employment, a team, an organization (the starts are fields of their registrations,
  schema v2): `SupportStaffDeparted`, `CnppmStaffDeparted`, `ManagementTeamDissolved`,
  `OrganizationClosed`;
- program implementation periods (academic years) and ФР ДПП inclusion/exclusion:
  `ProgramImplementationReported`, `ProgramRegisterStatusChanged`;
- road-map progress: `RoadmapItemStatusChanged`;
- support of young teachers and methodist attachments, reported by schools, colleges and municipal
  methodical services (ММС): `SupportFormReported`, `MethodistAttachmentReported`;
- routes (ИОМ) developed outside the platform, with the diagnosis they rest on: `ExternalRouteReported`.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from contracts.envelope import ID_PATTERN, Event, Record
from contracts.events.registry import EducatorId

EntityId = Field(pattern=ID_PATTERN)
SupportFormKind = Literal["mentoring", "tutoring", "methodical_support", "internship"]
RoadmapStatus = Literal["planned", "in_progress", "done", "cancelled"]


class StaffLeft(Record):
    """The last day of someone's employment is the day before `left_on`."""

    staff_id: str = EntityId
    left_on: date


class TeamDissolution(Record):
    team_id: str = EntityId
    dissolved_on: date


class OrganizationClosure(Record):
    organization_id: str = EntityId
    closed_on: date


class ImplementationPeriod(Record):
    """A program implemented by its provider from `period_from` to `period_to` (both included),
    typically an academic year."""

    program_id: str = EntityId
    period_from: date
    period_to: date

    @model_validator(mode="after")
    def _ordered(self) -> ImplementationPeriod:
        if self.period_to < self.period_from:
            raise ValueError("period_to must not precede period_from")
        return self


class RegisterStatus(Record):
    """A program included in (or excluded from) the federal register ФР ДПП from `effective` on."""

    program_id: str = EntityId
    status: Literal["included", "excluded"]
    effective: date
    register_id: str | None = None


class RoadmapStatusChange(Record):
    """A road-map item (пункт дорожной карты) has this status from `effective` on."""

    item_id: str = EntityId
    status: RoadmapStatus
    effective: date


class SupportForm(Record):
    """A форма поддержки и сопровождения of a young teacher, as the school, college or ММС reports
    it: who supports (a mentor, tutor or methodist id; None while nobody is named), from when to
    when, and whether the organization confirmed it. Only a confirmed form with a supporter
    counts for I5."""

    support_id: str = EntityId
    revision: int = Field(default=1, ge=1)
    educator_id: str = EducatorId
    kind: SupportFormKind
    supporter_id: str | None = Field(default=None, pattern=ID_PATTERN)
    confirmed: bool
    started_on: date
    ended_on: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> SupportForm:
        if self.ended_on is not None and self.ended_on < self.started_on:
            raise ValueError("ended_on must not precede started_on")
        return self


class MethodistAttachment(Record):
    """A teacher attached (закреплён) to a regional methodist for methodical support, from
    `attached_from` to `attached_to` (both included; open if None), as reported and confirmed."""

    attachment_id: str = EntityId
    revision: int = Field(default=1, ge=1)
    educator_id: str = EducatorId
    methodist_id: str = EntityId
    confirmed: bool
    attached_from: date
    attached_to: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> MethodistAttachment:
        if self.attached_to is not None and self.attached_to < self.attached_from:
            raise ValueError("attached_to must not precede attached_from")
        return self


class ExternalRoute(Record):
    """An ИОМ developed outside the platform (e.g. on a federal platform), with the diagnosis it
    rests on and the system it comes from."""

    route_id: str = EntityId
    revision: int = Field(default=1, ge=1)
    educator_id: str = EducatorId
    diagnosis_id: str = EntityId
    source_system: str = Field(pattern=ID_PATTERN, description="the system the route was developed on")
    developed_on: date


class SupportStaffDeparted(Event):
    event_type: Literal["SupportStaffDeparted"] = "SupportStaffDeparted"
    schema_version: Literal[1] = 1
    payload: StaffLeft
    key_field: ClassVar[str] = "staff_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("staff_id", "left_on")


class CnppmStaffDeparted(Event):
    event_type: Literal["CnppmStaffDeparted"] = "CnppmStaffDeparted"
    schema_version: Literal[1] = 1
    payload: StaffLeft
    key_field: ClassVar[str] = "staff_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("staff_id", "left_on")


class ManagementTeamDissolved(Event):
    event_type: Literal["ManagementTeamDissolved"] = "ManagementTeamDissolved"
    schema_version: Literal[1] = 1
    payload: TeamDissolution
    key_field: ClassVar[str] = "team_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("team_id", "dissolved_on")


class OrganizationClosed(Event):
    event_type: Literal["OrganizationClosed"] = "OrganizationClosed"
    schema_version: Literal[1] = 1
    payload: OrganizationClosure
    key_field: ClassVar[str] = "organization_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("organization_id", "closed_on")


class ProgramImplementationReported(Event):
    event_type: Literal["ProgramImplementationReported"] = "ProgramImplementationReported"
    schema_version: Literal[1] = 1
    payload: ImplementationPeriod
    key_field: ClassVar[str] = "program_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("program_id", "period_from", "period_to")


class ProgramRegisterStatusChanged(Event):
    event_type: Literal["ProgramRegisterStatusChanged"] = "ProgramRegisterStatusChanged"
    schema_version: Literal[1] = 1
    payload: RegisterStatus
    key_field: ClassVar[str] = "program_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("program_id", "status", "effective")


class RoadmapItemStatusChanged(Event):
    event_type: Literal["RoadmapItemStatusChanged"] = "RoadmapItemStatusChanged"
    schema_version: Literal[1] = 1
    payload: RoadmapStatusChange
    key_field: ClassVar[str] = "item_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("item_id", "status", "effective")


class SupportFormReported(Event):
    event_type: Literal["SupportFormReported"] = "SupportFormReported"
    schema_version: Literal[1] = 1
    payload: SupportForm
    key_field: ClassVar[str] = "support_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("support_id", "revision")


class MethodistAttachmentReported(Event):
    event_type: Literal["MethodistAttachmentReported"] = "MethodistAttachmentReported"
    schema_version: Literal[1] = 1
    payload: MethodistAttachment
    key_field: ClassVar[str] = "attachment_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("attachment_id", "revision")


class ExternalRouteReported(Event):
    event_type: Literal["ExternalRouteReported"] = "ExternalRouteReported"
    schema_version: Literal[1] = 1
    payload: ExternalRoute
    key_field: ClassVar[str] = "route_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("route_id", "revision")


WORLD_EVENTS: tuple[type[Event], ...] = (
    SupportStaffDeparted,
    CnppmStaffDeparted,
    ManagementTeamDissolved,
    OrganizationClosed,
    ProgramImplementationReported,
    ProgramRegisterStatusChanged,
    RoadmapItemStatusChanged,
    SupportFormReported,
    MethodistAttachmentReported,
    ExternalRouteReported,
)
