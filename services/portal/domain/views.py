"""What a page or a document shows, built from the indicator tables: rows with Russian
labels and formats. Every figure is the indicators service's; nothing is recomputed here."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from contracts import IndicatorTable, IndicatorValue, PassportDocument, PassportSection, PassportSnapshot
from services.portal.domain import formats
from services.portal.domain.labels import BREAKDOWN_TITLES, FIGURE_TITLES, SHARE_FIGURES, VALUE_TITLES

INDICATOR_ORDER = ("I1", "I2", "I3", "I4", "I4R", "I5", "I6", "E1", "E2", "RM")


@dataclass(frozen=True)
class IndicatorRow:
    indicator: str
    title: str
    value: float | None
    value_text: str
    numerator: int
    denominator: int
    target_text: str
    target_met: bool | None
    status: str
    trend: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ScopeRow:
    """One municipality or organization of a drill-down: its name and a cell per indicator."""

    scope_id: str
    name: str
    cells: tuple[tuple[float | None, str, str], ...]  # (sort value, text, "числитель / знаменатель")
    below_target: int


def region_values(
    table: IndicatorTable, scope_kind: str = "region", scope_id: str | None = None
) -> list[IndicatorValue]:
    values = [v for v in table.values if v.scope_kind == scope_kind and (scope_id is None or v.scope_id == scope_id)]
    return sorted(values, key=lambda v: INDICATOR_ORDER.index(v.indicator))


def overview(
    table: IndicatorTable,
    titles: Mapping[str, str],
    trend: Sequence[tuple[str, IndicatorTable]] = (),
    scope_kind: str = "region",
    scope_id: str | None = None,
) -> list[IndicatorRow]:
    """Every indicator of a scope with its value, numerator/denominator, target and status; the
    trend is the same indicator in earlier tables (labelled: a date, a monitoring round), one
    cell per table, "—" where that table lacks it."""
    earlier = [(label, {v.indicator: v for v in region_values(t, scope_kind, scope_id)}) for label, t in trend]
    return [
        IndicatorRow(
            indicator=v.indicator,
            title=titles.get(v.indicator, v.indicator),
            value=v.value,
            value_text=formats.indicator_value(v.indicator, v.value),
            numerator=v.numerator,
            denominator=v.denominator,
            target_text=formats.indicator_target(v.indicator, v.target),
            target_met=v.target_met,
            status=formats.status(v.target_met),
            trend=tuple(
                (label, formats.indicator_value(v.indicator, past[v.indicator].value) if v.indicator in past else "—")
                for label, past in earlier
            ),
        )
        for v in region_values(table, scope_kind, scope_id)
    ]


def scope_rows(
    table: IndicatorTable,
    scope_kind: str,
    name: Callable[[str], str],
    keep: Callable[[str], bool] = lambda _: True,
) -> list[ScopeRow]:
    """The municipalities (or organizations) of a table, one row each, sorted by name."""
    by_scope: dict[str, dict[str, IndicatorValue]] = {}
    for v in table.values:
        if v.scope_kind == scope_kind and keep(v.scope_id):
            by_scope.setdefault(v.scope_id, {})[v.indicator] = v
    rows = []
    for scope_id, values in by_scope.items():
        cells: list[tuple[float | None, str, str]] = []
        for k in INDICATOR_ORDER:
            found = values.get(k)
            if found is None:
                cells.append((None, "—", ""))
            else:
                cells.append(
                    (
                        found.value,
                        formats.indicator_value(k, found.value),
                        f"{formats.number(found.numerator)} / {formats.number(found.denominator)}",
                    )
                )
        below = sum(1 for v in values.values() if v.target_met is False)
        rows.append(ScopeRow(scope_id, name(scope_id), tuple(cells), below))
    return sorted(rows, key=lambda r: r.name)


def organizations_of(table: IndicatorTable, municipality: str, org_municipality: Mapping[str, str]) -> set[str]:
    """The organizations of a municipality that the table has figures for."""
    return {
        v.scope_id
        for v in table.values
        if v.scope_kind == "organization" and org_municipality.get(v.scope_id) == municipality
    }


@dataclass(frozen=True)
class SectionView:
    key: str
    title: str
    figures: tuple[tuple[str, str], ...]
    breakdown: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    items: tuple[str, ...]
    note: str | None
    filled: int
    expected: int
    #: the indicators service's own measure (rounds' passports), with where the section comes from
    share: float | None = None
    origin: str = ""

    @property
    def completeness(self) -> float:
        if self.share is not None:
            return self.share
        return self.filled / self.expected if self.expected else 1.0


SECTION_KEYS = (
    "staff",
    "programs",
    "infrastructure",
    "financing",
    "involvement",
    "information_resources",
    "students_results",
    "roadmap",
)


def figure_text(key: str, value: float | None) -> str:
    if value is None:
        return "нет данных"
    if key in SHARE_FIGURES:
        return formats.percent(float(value))
    if isinstance(value, float) and not value.is_integer():
        return formats.number(value, 1)
    return formats.number(value)


def section_view(key: str, section: PassportSection) -> SectionView:
    """A passport section with its completeness: the share of its figures that have a value
    (a section with only items counts them; a section with nothing at all is 0 of 1)."""
    figures = tuple((FIGURE_TITLES.get(k, k), figure_text(k, v)) for k, v in section.figures.items())
    breakdown = tuple(
        (
            BREAKDOWN_TITLES.get(name, name),
            tuple((VALUE_TITLES.get(k, k), formats.number(n)) for k, n in counts.items()),
        )
        for name, counts in section.breakdown.items()
    )
    expected = len(section.figures) or 1
    filled = sum(1 for v in section.figures.values() if v is not None) if section.figures else int(bool(section.items))
    return SectionView(key, section.title, figures, breakdown, section.items, section.note, filled, expected)


#: sections a round's passport adds (submitted by the ministry or the ИРО; None in periodic snapshots)
SUBMITTED_SECTION_KEYS = ("mms_staff", "methodical_associations", "internship_sites")
ORIGIN_TITLES = {"events": "по событиям", "submission": "представлено", "configuration": "конфигурация", "none": "нет"}


def section_keys(doc: PassportDocument) -> list[str]:
    return [*SECTION_KEYS, *(k for k in SUBMITTED_SECTION_KEYS if getattr(doc, k, None) is not None)]


def passport_sections(snapshot: PassportSnapshot) -> list[SectionView]:
    """The sections of a passport; where the document states its completeness (a round's passport),
    that measure and the section's origin are shown instead of the count of filled figures."""
    doc = snapshot.document
    stated = {c.section: c for c in doc.completeness}
    out = []
    for key in section_keys(doc):
        view = section_view(key, getattr(doc, key))
        c = stated.get(key)
        if c is not None:
            origin = ORIGIN_TITLES.get(c.source, c.source)
            if c.submitted_on:
                origin += f" {formats.day(c.submitted_on)}" + (f" ({c.submitted_by})" if c.submitted_by else "")
            view = replace(view, share=c.completeness, origin=origin)
        out.append(view)
    return out


def snapshot_table(snapshot: PassportSnapshot) -> IndicatorTable:
    """The indicators a passport snapshot carries, as a table."""
    doc = snapshot.document
    return IndicatorTable(region=doc.region, as_of=doc.as_of, computed_at=snapshot.taken_at, values=doc.indicators)


def trend_dates(today: date, points: int = 4) -> list[date]:
    """The first day of each of the last `points` months before today's (oldest first)."""
    out = []
    year, month = today.year, today.month
    for _ in range(points):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(date(year, month, 1))
    return list(reversed(out))
