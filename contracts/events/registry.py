"""Registry facts (мастер-данные): organizations, educators, programs, support staff,
management teams, ЦНППМ staff and the road map (дорожная карта).

Institute and ЦНППМ systems submit them; the registry service validates and
re-publishes them as facts. Upsert-style facts carry a `revision` chosen by the
source: the highest revision of an entity wins, and a replay of one revision is a
no-op (the revision is part of the deterministic event id).
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from contracts.envelope import ID_PATTERN, Event, Record

OrganizationKind = Literal[
    "regional_authority",
    "cnppm",
    "institute",
    "assessment_center",
    "college",
    "municipal_service",
    "school",
    "internship_site",
    "federal_operator",
]
Role = Literal["teacher", "manager"]
SupportStaffKind = Literal["methodist", "tutor", "mentor"]
EducatorId = Field(pattern=r"^ed-[0-9a-f]{16,64}$", description="pseudonymous educator id (keyed hash)")
EntityId = Field(pattern=ID_PATTERN)


class OrganizationRecorded(Record):
    """Schema v2 added `opened_on`; a v1 document cannot say when the organization opened (None:
    counted as open on every date before a closure)."""

    organization_id: str = EntityId
    revision: int = Field(default=1, ge=1)
    kind: OrganizationKind
    title: str = Field(min_length=1, max_length=300, description="official name of the organization")
    municipality_id: str = EntityId
    low_results: bool = Field(default=False, description="ШНОР: school with low educational results")
    unfavourable_conditions: bool = Field(default=False, description="ШНСУ: unfavourable social conditions")
    opened_on: date | None = Field(default=None, description="the day it opened (None: not reported)")


QualificationCategory = Literal["none", "first", "highest"]


class EducatorRecorded(Record):
    """педагогический работник or управленческий кадр, by pseudonymous id only.

    Schema v2 added `qualification_category` (квалификационная категория) and
    `subject_areas`; v1 documents are upcast with "none" and no subjects.
    """

    educator_id: str = EducatorId
    revision: int = Field(default=1, ge=1)
    role: Role
    organization_id: str = EntityId
    municipality_id: str = EntityId
    birth_year: int = Field(ge=1930, le=2015)
    career_start: date
    registered_on: date
    qualification_category: QualificationCategory = "none"
    subject_areas: tuple[str, ...] = ()


class EducatorTransferred(Record):
    educator_id: str = EducatorId
    organization_id: str = EntityId
    municipality_id: str = EntityId
    transferred_on: date


class EducatorLeft(Record):
    educator_id: str = EducatorId
    left_on: date


ProgramTopic = Literal[
    "subject",
    "methodical",
    "psychological_pedagogical",
    "digital",
    "management",
    "education_quality_management",
]


class ProgramRecorded(Record):
    """A further-education program (ДПП); in the federal register ФР ДПП between the dates given."""

    program_id: str = EntityId
    revision: int = Field(default=1, ge=1)
    provider_id: str = EntityId
    title: str = Field(min_length=1, max_length=500)
    hours: int = Field(ge=1, le=2000)
    competencies: tuple[str, ...] = Field(min_length=1)
    topic: ProgramTopic
    implemented: bool = True
    register_id: str | None = None
    register_from: date | None = None
    register_to: date | None = None

    @model_validator(mode="after")
    def _register_window(self) -> ProgramRecorded:
        if (self.register_id is None) != (self.register_from is None):
            raise ValueError("register_id and register_from go together")
        if self.register_to and (not self.register_from or self.register_to < self.register_from):
            raise ValueError("register_to must follow register_from")
        return self

    def in_register_on(self, day: date) -> bool:
        return bool(
            self.register_from and self.register_from <= day and (self.register_to is None or day <= self.register_to)
        )


class SupportStaffRecorded(Record):
    """региональный методист, тьютор or наставник; capacity is the most educators they carry.

    Schema v2 added `employed_from` (the end is a `SupportStaffDeparted`). A v1 document cannot
    say when the employment began (None: employed on every date before a departure), nor when an
    `active=false` member stopped (such a member counts on no date)."""

    staff_id: str = EntityId
    revision: int = Field(default=1, ge=1)
    kind: SupportStaffKind
    organization_id: str = EntityId
    municipality_id: str = EntityId
    capacity: int = Field(ge=1, le=10_000)
    active: bool = True
    employed_from: date | None = None


class ManagementTeamRecorded(Record):
    """управленческая команда of a school. Schema v2 added `formed_on` (the end is a
    `ManagementTeamDissolved`); a v1 document cannot say when the team was formed (None: it
    exists on every date before a dissolution)."""

    team_id: str = EntityId
    revision: int = Field(default=1, ge=1)
    organization_id: str = EntityId
    municipality_id: str = EntityId
    size: int = Field(ge=1, le=100)
    formed_on: date | None = None


class CnppmStaffRecorded(Record):
    """A ЦНППМ employee. Schema v2 added `employed_from` (the end is a `CnppmStaffDeparted`); as
    for support staff, a v1 document cannot say when the employment began or ended."""

    staff_id: str = EntityId
    revision: int = Field(default=1, ge=1)
    organization_id: str = EntityId
    active: bool = True
    employed_from: date | None = None


class CnppmStaffTrained(Record):
    """A ЦНППМ employee completed training at the federal operator."""

    staff_id: str = EntityId
    program_title: str = Field(min_length=1, max_length=500)
    trained_on: date


class RoadmapItemRecorded(Record):
    item_id: str = EntityId
    revision: int = Field(default=1, ge=1)
    title: str = Field(min_length=1, max_length=1000)
    responsible: str = Field(min_length=1, max_length=300, description="responsible body, not a person")
    due_date: date
    expected_result: str = Field(min_length=1, max_length=1000)
    status: Literal["planned", "in_progress", "done", "cancelled"]
    completed_on: date | None = None


class OrganizationRegistered(Event):
    event_type: Literal["OrganizationRegistered"] = "OrganizationRegistered"
    schema_version: Literal[2] = 2
    payload: OrganizationRecorded
    key_field: ClassVar[str] = "organization_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("organization_id", "revision")


class EducatorRegistered(Event):
    event_type: Literal["EducatorRegistered"] = "EducatorRegistered"
    schema_version: Literal[2] = 2
    payload: EducatorRecorded
    key_field: ClassVar[str] = "educator_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("educator_id", "revision")


class EducatorMoved(Event):
    event_type: Literal["EducatorMoved"] = "EducatorMoved"
    schema_version: Literal[1] = 1
    payload: EducatorTransferred
    key_field: ClassVar[str] = "educator_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("educator_id", "transferred_on", "organization_id")


class EducatorDeparted(Event):
    event_type: Literal["EducatorDeparted"] = "EducatorDeparted"
    schema_version: Literal[1] = 1
    payload: EducatorLeft
    key_field: ClassVar[str] = "educator_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("educator_id", "left_on")


class ProgramRegistered(Event):
    event_type: Literal["ProgramRegistered"] = "ProgramRegistered"
    schema_version: Literal[1] = 1
    payload: ProgramRecorded
    key_field: ClassVar[str] = "program_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("program_id", "revision")


class SupportStaffRegistered(Event):
    event_type: Literal["SupportStaffRegistered"] = "SupportStaffRegistered"
    schema_version: Literal[2] = 2
    payload: SupportStaffRecorded
    key_field: ClassVar[str] = "staff_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("staff_id", "revision")


class ManagementTeamRegistered(Event):
    event_type: Literal["ManagementTeamRegistered"] = "ManagementTeamRegistered"
    schema_version: Literal[2] = 2
    payload: ManagementTeamRecorded
    key_field: ClassVar[str] = "team_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("team_id", "revision")


class CnppmStaffRegistered(Event):
    event_type: Literal["CnppmStaffRegistered"] = "CnppmStaffRegistered"
    schema_version: Literal[2] = 2
    payload: CnppmStaffRecorded
    key_field: ClassVar[str] = "staff_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("staff_id", "revision")


class CnppmStaffTrainedByFederalOperator(Event):
    event_type: Literal["CnppmStaffTrainedByFederalOperator"] = "CnppmStaffTrainedByFederalOperator"
    schema_version: Literal[1] = 1
    payload: CnppmStaffTrained
    key_field: ClassVar[str] = "staff_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("staff_id", "trained_on", "program_title")


class RoadmapItemUpdated(Event):
    event_type: Literal["RoadmapItemUpdated"] = "RoadmapItemUpdated"
    schema_version: Literal[1] = 1
    payload: RoadmapItemRecorded
    key_field: ClassVar[str] = "item_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("item_id", "revision")


REGISTRY_EVENTS: tuple[type[Event], ...] = (
    OrganizationRegistered,
    EducatorRegistered,
    EducatorMoved,
    EducatorDeparted,
    ProgramRegistered,
    SupportStaffRegistered,
    ManagementTeamRegistered,
    CnppmStaffRegistered,
    CnppmStaffTrainedByFederalOperator,
    RoadmapItemUpdated,
)
