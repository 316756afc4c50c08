"""Monitoring rounds, the passport's life and the sections events cannot supply.

Inbound (`rsnms.governance.submitted`, signed by the publishing system, checked by the
source gate against `deploy/sources.yaml`):
- the regional ministry (РОИВ) declares and closes monitoring rounds, approves its passport
  and sends it to the federal operator, and submits passport sections;
- the ИРО submits passport sections too;
- the federal operator accepts the passport or returns it with remarks.

Outbound (`rsnms.indicators.rounds`, published by the indicators service): a frozen version
of a round, the passport's status changes, program requests to the ИРО and targeted
recommendations. `RoundsSummaryPublished` (counts only) goes on the aggregates feed.

Inbound events are keyed by their region (`GovernanceEvent`): a region's declarations, closures,
decisions and submissions are applied in the order they reached the platform, so a round closed
after another is compared with it. Outbound events are keyed by `round_id`. People
sign by an official position id (`signed_by`, e.g. "minister-deputy"), never by name.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, model_validator

from contracts.envelope import ID_PATTERN, Event, Record, SortedDict
from contracts.events.indicators import IndicatorValue, KafkaPosition, PassportDocument

RoundId = Field(pattern=ID_PATTERN, description="the round's id within its region, e.g. 2025-2")
SignedBy = Field(
    pattern=ID_PATTERN, description="who signed: an official position id of the publishing body (never a name)"
)
Schedule = Literal["annual", "semiannual", "quarterly", "once"]


class GovernanceEvent(Event):
    """An inbound governance event: partitioned by its region (the key is the region code)."""

    @classmethod
    def create(
        cls,
        payload: Record,
        *,
        source: str,
        region: str,
        occurred_at: datetime | None = None,
        event_id: uuid.UUID | None = None,
    ) -> Self:
        event = super().create(payload, source=source, region=region, occurred_at=occurred_at, event_id=event_id)
        return event.model_copy(update={"key": region})


class RoundDeclaration(Record):
    """A monitoring round (тур мониторинга) the regional ministry declares."""

    round_id: str = RoundId
    title: str = Field(min_length=1, max_length=300)
    reporting_date: date = Field(description="the date every indicator of the round is computed as of")
    schedule: Schedule = "semiannual"
    signed_by: str = SignedBy


class MonitoringRoundDeclared(GovernanceEvent):
    event_type: Literal["MonitoringRoundDeclared"] = "MonitoringRoundDeclared"
    schema_version: Literal[1] = 1
    payload: RoundDeclaration
    key_field: ClassVar[str] = "round_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("round_id",)


class RoundClosure(Record):
    round_id: str = RoundId
    closed_on: date
    signed_by: str = SignedBy


class MonitoringRoundClosed(GovernanceEvent):
    """The ministry closes the round: the platform freezes its official snapshot (version 1)."""

    event_type: Literal["MonitoringRoundClosed"] = "MonitoringRoundClosed"
    schema_version: Literal[1] = 1
    payload: RoundClosure
    key_field: ClassVar[str] = "round_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("round_id",)


class PassportDecision(Record):
    """One step of the passport's life, dated and signed; `remarks` only when returned."""

    round_id: str = RoundId
    decision_id: str = Field(pattern=ID_PATTERN)
    decided_on: date
    signed_by: str = SignedBy
    remarks: tuple[str, ...] = Field(default=(), max_length=50)


class _PassportDecisionEvent(GovernanceEvent):
    payload: PassportDecision
    key_field: ClassVar[str] = "round_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("round_id", "decision_id")


class PassportApproved(_PassportDecisionEvent):
    """The regional ministry approved the passport (утверждён РОИВ)."""

    event_type: Literal["PassportApproved"] = "PassportApproved"
    schema_version: Literal[1] = 1


class PassportSent(_PassportDecisionEvent):
    """The regional ministry sent the passport to the federal operator for agreement."""

    event_type: Literal["PassportSent"] = "PassportSent"
    schema_version: Literal[1] = 1


class PassportAccepted(_PassportDecisionEvent):
    """The federal operator agreed the passport (согласован)."""

    event_type: Literal["PassportAccepted"] = "PassportAccepted"
    schema_version: Literal[1] = 1


class PassportReturned(_PassportDecisionEvent):
    """The federal operator returned the passport with remarks (замечания)."""

    event_type: Literal["PassportReturned"] = "PassportReturned"
    schema_version: Literal[1] = 1

    @model_validator(mode="after")
    def _remarks(self) -> PassportReturned:
        if not self.payload.remarks:
            raise ValueError("a returned passport needs at least one remark")
        return self


Money = Field(ge=0, le=10**13, description="roubles")
Count = Field(ge=0, le=10_000_000)


class FinancingSection(Record):
    """Финансовое обеспечение of the regional ДППО system for a year."""

    section: Literal["financing"] = "financing"
    year: int = Field(ge=2020, le=2100)
    regional_budget_rub: float = Money
    federal_budget_rub: float = Money
    extrabudgetary_rub: float = Money


class StudentsResultsSection(Record):
    """Корреляция с результатами обучающихся: a correlation the region measured itself."""

    section: Literal["students_results"] = "students_results"
    year: int = Field(ge=2020, le=2100)
    assessment: str = Field(min_length=2, max_length=100, description="e.g. ВПР, ОГЭ, ЕГЭ, PISA-like study")
    correlation: float = Field(ge=-1, le=1, description="correlation coefficient between the two measures")
    schools: int = Field(ge=1, le=100_000, description="schools in the sample")
    method: str = Field(min_length=3, max_length=1000)


class InformationResource(Record):
    title: str = Field(min_length=1, max_length=300)
    url: str = Field(pattern=r"^https?://[^\s]+$", max_length=500)
    kind: Literal["site", "lms", "database", "other"]


class InformationResourcesSection(Record):
    """Информационные ресурсы: sites, distance-learning systems, databases."""

    section: Literal["information_resources"] = "information_resources"
    resources: tuple[InformationResource, ...] = Field(min_length=1, max_length=200)


class MmsStaffRow(Record):
    municipality_id: str = Field(pattern=ID_PATTERN)
    staff: int = Count
    trained: int = Field(ge=0, le=10_000_000, description="of them, trained in the year")


class MmsStaffSection(Record):
    """Реестр сотрудников муниципальных методических служб (ММС) и их обучения."""

    section: Literal["mms_staff"] = "mms_staff"
    year: int = Field(ge=2020, le=2100)
    municipalities: tuple[MmsStaffRow, ...] = Field(min_length=1)


class AssociationsRow(Record):
    municipality_id: str = Field(pattern=ID_PATTERN)
    associations: int = Count
    members: int = Count


class MethodicalAssociationsSection(Record):
    """Методические объединения по муниципалитетам."""

    section: Literal["methodical_associations"] = "methodical_associations"
    municipalities: tuple[AssociationsRow, ...] = Field(min_length=1)


class InternshipSiteRow(Record):
    organization_id: str = Field(pattern=ID_PATTERN)
    municipality_id: str = Field(pattern=ID_PATTERN)
    topic: str = Field(min_length=2, max_length=300)
    educators_trained: int = Count


class InternshipSitesSection(Record):
    """Стажировочные площадки."""

    section: Literal["internship_sites"] = "internship_sites"
    sites: tuple[InternshipSiteRow, ...] = Field(min_length=1)


SectionData = Annotated[
    FinancingSection
    | StudentsResultsSection
    | InformationResourcesSection
    | MmsStaffSection
    | MethodicalAssociationsSection
    | InternshipSitesSection,
    Field(discriminator="section"),
]
SUBMITTED_SECTIONS: tuple[str, ...] = (
    "financing",
    "students_results",
    "information_resources",
    "mms_staff",
    "methodical_associations",
    "internship_sites",
)


class SectionSubmission(Record):
    round_id: str = RoundId
    submission_id: str = Field(pattern=ID_PATTERN)
    submitted_on: date
    signed_by: str = SignedBy
    data: SectionData


class PassportSectionSubmitted(GovernanceEvent):
    """A passport section events cannot supply, typed and signed by the ministry or the ИРО."""

    event_type: Literal["PassportSectionSubmitted"] = "PassportSectionSubmitted"
    schema_version: Literal[1] = 1
    payload: SectionSubmission
    key_field: ClassVar[str] = "round_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("round_id", "submission_id")


# ---- published by the platform ------------------------------------------------------------


class LateEvent(Record):
    """An event that reached the platform after a round closed but is dated on or before its
    reporting date (what made a new version necessary)."""

    event_id: str
    event_type: str
    dated: date
    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)


class IndicatorChange(Record):
    """One indicator of one scope that differs from the previous version of the round."""

    indicator: str
    scope_kind: str
    scope_id: str
    before: tuple[int, int] | None = Field(description="(numerator, denominator) in the previous version")
    after: tuple[int, int] | None


class RoundVersion(Record):
    """An immutable official snapshot of a round: every indicator at every level as of the
    reporting date, the passport, and the Kafka positions it includes."""

    round_id: str = RoundId
    region: str
    version: int = Field(ge=1)
    title: str
    reporting_date: date
    schedule: Schedule
    frozen_at: datetime
    reason: str = Field(description="why this version exists (Russian)")
    late_events: tuple[LateEvent, ...] = ()
    changes: tuple[IndicatorChange, ...] = ()
    indicators: tuple[IndicatorValue, ...]
    passport: PassportDocument
    kafka_positions: tuple[KafkaPosition, ...]


class RoundFrozen(Record):
    """The announcement of a version (the version itself is served over HTTP: it is large)."""

    round_id: str = RoundId
    region: str
    version: int = Field(ge=1)
    reporting_date: date
    frozen_at: datetime
    reason: str
    late_events: int = Field(ge=0)
    changed_values: int = Field(ge=0)
    kafka_positions: tuple[KafkaPosition, ...]


class RoundVersionFrozen(Event):
    event_type: Literal["RoundVersionFrozen"] = "RoundVersionFrozen"
    schema_version: Literal[1] = 1
    payload: RoundFrozen
    key_field: ClassVar[str] = "round_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("round_id", "version")


PassportStatus = Literal["draft", "approved", "sent", "accepted", "returned"]


class PassportStatusChange(Record):
    round_id: str = RoundId
    sequence: int = Field(ge=1, description="1 for the first transition of this passport")
    status: PassportStatus
    previous: PassportStatus
    decided_on: date
    decided_by: str = Field(description="the publishing system that signed the decision")
    signed_by: str = SignedBy
    remarks: tuple[str, ...] = ()
    decision_event_id: str


class PassportStatusChanged(Event):
    event_type: Literal["PassportStatusChanged"] = "PassportStatusChanged"
    schema_version: Literal[1] = 1
    payload: PassportStatusChange
    key_field: ClassVar[str] = "round_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("round_id", "sequence")


class ProgramRequest(Record):
    """Deficits no program of the catalogue addresses: a request to the ИРО for a program."""

    request_id: str = Field(pattern=ID_PATTERN)
    round_id: str = RoundId
    version: int = Field(ge=1)
    competency: str
    municipality_id: str
    educators: int = Field(ge=1, description="educators of the municipality with this deficit")


class ProgramRequested(Event):
    event_type: Literal["ProgramRequested"] = "ProgramRequested"
    schema_version: Literal[1] = 1
    payload: ProgramRequest
    key_field: ClassVar[str] = "round_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("request_id",)


class Recommendation(Record):
    """A targeted recommendation (адресная рекомендация), with the figures it rests on."""

    recommendation_id: str = Field(pattern=ID_PATTERN)
    round_id: str = RoundId
    version: int = Field(ge=1)
    scope_kind: Literal["region", "municipality", "organization"]
    scope_id: str
    rule: str = Field(description="the rule that produced it")
    text: str = Field(description="the recommendation (Russian)")
    figures: SortedDict[str, float] = Field(default_factory=dict, description="the figures it cites")


class RecommendationIssued(Event):
    event_type: Literal["RecommendationIssued"] = "RecommendationIssued"
    schema_version: Literal[1] = 1
    payload: Recommendation
    key_field: ClassVar[str] = "round_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("recommendation_id",)


class RoundSummary(Record):
    round_id: str = RoundId
    reporting_date: date
    closed: bool
    versions: int = Field(ge=0)
    passport_status: PassportStatus
    recommendations: int = Field(ge=0)
    program_requests: int = Field(ge=0)


class RoundsSummary(Record):
    """The federal operator's view of a region's rounds and passports: counts only."""

    region: str
    computed_at: datetime
    rounds: tuple[RoundSummary, ...]
    passports_by_status: SortedDict[str, int] = Field(default_factory=dict)


class RoundsSummaryPublished(Event):
    event_type: Literal["RoundsSummaryPublished"] = "RoundsSummaryPublished"
    schema_version: Literal[1] = 1
    payload: RoundsSummary
    key_field: ClassVar[str] = "region"
    business_key_fields: ClassVar[tuple[str, ...]] = ("region", "computed_at")


GOVERNANCE_EVENTS: tuple[type[Event], ...] = (
    MonitoringRoundDeclared,
    MonitoringRoundClosed,
    PassportApproved,
    PassportSent,
    PassportAccepted,
    PassportReturned,
    PassportSectionSubmitted,
)
ROUND_EVENTS: tuple[type[Event], ...] = (
    RoundVersionFrozen,
    PassportStatusChanged,
    ProgramRequested,
    RecommendationIssued,
)
