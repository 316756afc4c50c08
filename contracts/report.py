"""The analysis of a monitoring round and its report («аналитическая справка») as structured
documents: what the indicators HTTP API serves as JSON and any renderer (the portal's DOCX/PDF)
turns into a file. Documented in docs/rounds.md. Counts and shares only, no personal data.

A report is a title, a subtitle and sections; a section has paragraphs (Russian text), tables
(columns and rows of cells already formatted the Russian way: 12 345,6; 25,0 %; 05.12.2026) and
recommendations (each citing its figures).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from contracts.envelope import Record, SortedDict
from contracts.events.rounds import Recommendation


class Figure(Record):
    numerator: int
    denominator: int
    value: float | None


class Delta(Record):
    """One indicator of one scope in this round against the previous round."""

    indicator: str
    scope_kind: Literal["region", "municipality", "organization"]
    scope_id: str
    before: Figure | None
    after: Figure | None
    change: float | None = Field(description="after.value - before.value (None if either is unknown)")


class BelowTarget(Record):
    indicator: str
    scope_kind: Literal["region", "municipality", "organization"]
    scope_id: str
    numerator: int
    denominator: int
    value: float | None
    target: float


class DeficitCell(Record):
    """Competency × municipality: educators whose latest diagnosis on or before the reporting
    date shows this deficit, among the active educators of the municipality diagnosed by then."""

    municipality_id: str
    competency: str
    educators: int = Field(ge=1)
    diagnosed: int = Field(ge=1)
    share: float


class UncoveredDeficit(Record):
    competency: str
    municipality_id: str
    educators: int = Field(ge=1)


class ProgramEffect(Record):
    """Re-diagnosis of completers of a program against comparable non-completers: pairs of an
    educator's consecutive diagnoses and a competency that was a deficit at the first one."""

    program_id: str
    completers: int = Field(ge=0, description="educators who completed it between two diagnoses")
    pairs: int = Field(ge=0)
    mean_growth: float | None
    closed_share: float | None
    comparison_pairs: int = Field(ge=0, description="same competencies, no covering program completed")
    comparison_mean_growth: float | None
    comparison_closed_share: float | None


class VolumeRow(Record):
    measure: Literal["routes", "trained", "management_teams"]
    title: str
    planned: int | None
    actual: int


class RoadmapItemRow(Record):
    item_id: str
    title: str
    due_date: date
    done: bool


class RoundAnalysis(Record):
    round_id: str
    region: str
    version: int
    reporting_date: date
    previous_round_id: str | None
    previous_reporting_date: date | None
    deltas: tuple[Delta, ...]
    below_target: tuple[BelowTarget, ...]
    deficit_map: tuple[DeficitCell, ...]
    uncovered: tuple[UncoveredDeficit, ...]
    effectiveness: tuple[ProgramEffect, ...]
    volumes: tuple[VolumeRow, ...]
    roadmap_items: tuple[RoadmapItemRow, ...]
    max_methodist_load: int = 0


class ReportTable(Record):
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str | None = None


class ReportSection(Record):
    key: str = Field(description="stable identifier of the section (English)")
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[ReportTable, ...] = ()
    recommendations: tuple[Recommendation, ...] = ()


class RoundReport(Record):
    """«Аналитическая справка» of a round version."""

    format: Literal["rsnms.round-report/1"] = "rsnms.round-report/1"
    region: str
    round_id: str
    version: int
    reporting_date: date
    generated_at: datetime
    title: str
    subtitle: str
    sections: tuple[ReportSection, ...]
    figures: SortedDict[str, float] = Field(default_factory=dict, description="headline figures, machine-readable")
