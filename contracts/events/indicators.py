"""What the indicators service publishes for the region and the federal operator:
indicator tables and passport snapshots. Counts only, never personal data."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from contracts.envelope import ID_PATTERN, Event, Record, SortedDict

ScopeKind = Literal["region", "municipality", "organization"]
IndicatorId = Literal["I1", "I2", "I3", "I4", "I4R", "I5", "I6", "E1", "E2", "RM"]


class IndicatorValue(Record):
    indicator: IndicatorId
    scope_kind: ScopeKind
    scope_id: str
    numerator: int = Field(ge=0)
    denominator: int = Field(ge=0)
    value: float | None = Field(
        description="numerator/denominator (E1: educators per methodist); None when the denominator is 0"
    )
    target: float | None = None
    target_met: bool | None = None
    extra: SortedDict[str, float] = Field(default_factory=dict, description="e.g. E1 max_load")


class IndicatorTable(Record):
    region: str
    as_of: date
    computed_at: datetime
    values: tuple[IndicatorValue, ...]


class IndicatorsPublished(Event):
    event_type: Literal["IndicatorsPublished"] = "IndicatorsPublished"
    schema_version: Literal[1] = 1
    payload: IndicatorTable
    key_field: ClassVar[str] = "region"
    business_key_fields: ClassVar[tuple[str, ...]] = ("region", "computed_at")


class PassportSection(Record):
    """One section of the passport: a Russian title, figures (counts and shares), and a note
    where the platform has no data for it (e.g. financing is not reported by events)."""

    title: str
    figures: SortedDict[str, float | int | None] = Field(default_factory=dict)
    breakdown: SortedDict[str, SortedDict[str, int]] = Field(default_factory=dict)
    items: tuple[str, ...] = ()
    note: str | None = None


class KafkaPosition(Record):
    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0, description="the next offset: every message before it is included")


class SectionCompleteness(Record):
    """How complete one passport section is, and where it comes from (no section is a silent null)."""

    section: str
    title: str
    source: Literal["events", "submission", "configuration", "none"]
    status: Literal["complete", "partial", "missing"]
    completeness: float = Field(ge=0, le=1)
    submitted_on: date | None = None
    submitted_by: str | None = Field(default=None, description="the publishing system that signed it")
    signed_by: str | None = None
    note: str | None = None


class PassportDocument(Record):
    """The паспорт ДППО / паспорт РСНМС (sections of seed 004) for a region as of a date."""

    title: str
    region: str
    as_of: date
    staff: PassportSection
    programs: PassportSection
    infrastructure: PassportSection
    financing: PassportSection
    involvement: PassportSection
    information_resources: PassportSection
    indicators: tuple[IndicatorValue, ...]
    students_results: PassportSection
    roadmap: PassportSection
    kafka_positions: tuple[KafkaPosition, ...] = Field(description="what the snapshot includes, per topic-partition")
    #: sections submitted by the ministry or the ИРО (rounds' passports; None in periodic snapshots)
    mms_staff: PassportSection | None = None
    methodical_associations: PassportSection | None = None
    internship_sites: PassportSection | None = None
    completeness: tuple[SectionCompleteness, ...] = Field(default=(), description="per section, rounds' passports")


class PassportSnapshot(Record):
    """An immutable, versioned паспорт ДППО of a region as of a date."""

    snapshot_id: str = Field(pattern=ID_PATTERN)
    region: str
    version: int = Field(ge=1)
    as_of: date
    taken_at: datetime
    document: PassportDocument


class PassportSnapshotTaken(Event):
    event_type: Literal["PassportSnapshotTaken"] = "PassportSnapshotTaken"
    schema_version: Literal[1] = 1
    payload: PassportSnapshot
    key_field: ClassVar[str] = "region"
    business_key_fields: ClassVar[tuple[str, ...]] = ("snapshot_id",)


INDICATOR_EVENTS: tuple[type[Event], ...] = (IndicatorsPublished, PassportSnapshotTaken)
