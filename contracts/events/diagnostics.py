"""Diagnostics of professional deficits (диагностика профессиональных дефицитов).

An assessment platform submits a session's scores per competency; the
diagnostics service applies the competency framework and emits `DeficitDiagnosed`.
A repeat diagnosis (повторная диагностика) also carries the growth measured and
the deficits that closed.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from contracts.envelope import ID_PATTERN, Event, Record, SortedDict
from contracts.events.registry import EducatorId, Role

DiagnosisKind = Literal["initial", "repeat"]
#: who conducted a diagnosis: the region's ЦНППМ, a ЦОПМКП (centre for the assessment of
#: professional mastery and qualifications), another accredited centre; "unknown" only for
#: documents of schema v1, which could not say
Provider = Literal["cnppm", "copmkp", "other_centre", "unknown"]
Severity = Literal["moderate", "severe", "critical"]
Score = Field(ge=0, le=100)


class DiagnosticResult(Record):
    """Schema v2 added who conducted the session (`conducted_by`, `centre_id`); v1 documents are
    upcast with "unknown", which I1 counts only where the region configures it."""

    session_id: str = Field(pattern=ID_PATTERN)
    educator_id: str = EducatorId
    role: Role
    kind: DiagnosisKind
    taken_on: date
    framework_id: str | None = Field(default=None, pattern=ID_PATTERN)
    scores: SortedDict[str, float] = Field(min_length=1, description="competency id -> score, 0..100")
    conducted_by: Provider
    centre_id: str | None = Field(default=None, pattern=ID_PATTERN, description="the organization that conducted it")


class DiagnosticResultSubmitted(Event):
    event_type: Literal["DiagnosticResultSubmitted"] = "DiagnosticResultSubmitted"
    schema_version: Literal[2] = 2
    payload: DiagnosticResult
    key_field: ClassVar[str] = "educator_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("session_id",)


class Deficit(Record):
    competency: str
    area: str
    score: float = Score
    threshold: float = Score
    severity: Severity


class Diagnosis(Record):
    """Schema v2 carries the provenance of its session (`conducted_by`, `centre_id`)."""

    diagnosis_id: str = Field(pattern=ID_PATTERN)
    session_id: str = Field(pattern=ID_PATTERN)
    educator_id: str = EducatorId
    role: Role
    kind: DiagnosisKind
    diagnosed_on: date
    framework_id: str
    scores: SortedDict[str, float]
    deficits: tuple[Deficit, ...]
    previous_diagnosis_id: str | None = None
    growth: SortedDict[str, float] = Field(
        default_factory=dict, description="score change per competency since the previous diagnosis"
    )
    closed_competencies: tuple[str, ...] = ()
    conducted_by: Provider
    centre_id: str | None = Field(default=None, pattern=ID_PATTERN)


class DeficitDiagnosed(Event):
    event_type: Literal["DeficitDiagnosed"] = "DeficitDiagnosed"
    schema_version: Literal[2] = 2
    payload: Diagnosis
    key_field: ClassVar[str] = "educator_id"
    business_key_fields: ClassVar[tuple[str, ...]] = ("diagnosis_id",)


DIAGNOSTICS_EVENTS: tuple[type[Event], ...] = (DiagnosticResultSubmitted, DeficitDiagnosed)
