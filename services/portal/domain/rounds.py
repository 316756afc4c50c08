"""Monitoring rounds as the indicators service serves them (JSON of its /rounds endpoints):
the list with the passport's status, the round's «аналитическая справка» mapped onto the
portal's document model, and the deficit map (competency × municipality)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from contracts import PassportDocument, PassportSnapshot
from services.portal.domain import formats
from services.portal.domain.report import Report, Section, Table

PASSPORT_STATUS_TITLES = {
    "draft": "черновик",
    "approved": "утверждён регионом",
    "sent": "направлен федеральному оператору",
    "accepted": "согласован федеральным оператором",
    "returned": "возвращён на доработку с замечаниями",
}
SCHEDULE_TITLES = {
    "annual": "ежегодно",
    "semiannual": "два раза в год",
    "quarterly": "ежеквартально",
    "once": "однократно",
}


@dataclass(frozen=True)
class RoundRow:
    round_id: str
    title: str
    reporting_date: str
    schedule: str
    closed: bool
    versions: int
    passport_status: str


def round_rows(listing: Sequence[Mapping[str, Any]]) -> list[RoundRow]:
    """The region's rounds, latest reporting date first."""
    rows = [
        RoundRow(
            r["round_id"],
            r.get("title", r["round_id"]),
            formats.day(r.get("reporting_date")),
            SCHEDULE_TITLES.get(r.get("schedule", ""), r.get("schedule", "")),
            bool(r.get("closed")),
            len(r.get("versions") or ()),
            PASSPORT_STATUS_TITLES.get(r.get("passport_status", ""), r.get("passport_status", "—")),
        )
        for r in listing
    ]
    order = {r["round_id"]: r.get("reporting_date", "") for r in listing}
    return sorted(rows, key=lambda r: order[r.round_id], reverse=True)


def federal_rounds(summary: Any) -> tuple[str, str]:
    """The federal table's two cells of a region's rounds summary (RoundsSummary or None):
    closed of declared rounds, and the passport status of the latest closed round."""
    if summary is None:
        return "—", "—"
    closed = [r for r in summary.rounds if r.closed]
    latest = max(closed, key=lambda r: r.reporting_date, default=None)
    status = PASSPORT_STATUS_TITLES.get(latest.passport_status, latest.passport_status) if latest else "—"
    return f"{len(closed)} из {len(summary.rounds)}", str(status)


def round_passport(found: Mapping[str, Any]) -> PassportSnapshot:
    """A round's passport (GET /rounds/passport) in the shape of a snapshot, for the same pages and XLSX."""
    doc = PassportDocument.model_validate(found["document"])
    return PassportSnapshot(
        snapshot_id=f"{doc.region}:{found['round_id']}:v{found['version']}",
        region=doc.region,
        version=int(found["version"]),
        as_of=doc.as_of,
        taken_at=datetime.combine(doc.as_of, time(), tzinfo=UTC),
        document=doc,
    )


@dataclass(frozen=True)
class Decision:
    status: str
    decided_on: str
    decided_by: str
    signed_by: str
    remarks: tuple[str, ...]


def passport_history(found: Mapping[str, Any]) -> list[Decision]:
    """The passport's life: each transition, dated and signed (GET /rounds/passport's history)."""
    return [
        Decision(
            PASSPORT_STATUS_TITLES.get(h.get("status", ""), h.get("status", "")),
            formats.day(h.get("decided_on")),
            h.get("decided_by", ""),
            h.get("signed_by", ""),
            tuple(h.get("remarks") or ()),
        )
        for h in found.get("history", ())
    ]


def latest_closed(listing: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    closed = [r for r in listing if r.get("closed") and r.get("versions")]
    return max(closed, key=lambda r: r.get("reporting_date", ""), default=None)


class Names:
    """Codes in a report's cells and sentences replaced by what people read: municipality codes by
    their names, competency ids by their titles (a cell that is exactly a code; a code standing as
    a word or in «quotes» in a sentence)."""

    def __init__(self, names: Mapping[str, str]):
        self._names = dict(names)
        self._word = (
            re.compile(
                r"(?<![\w-])(" + "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True)) + r")(?![\w-])"
            )
            if names
            else None
        )

    def cell(self, text: str) -> str:
        return self._names.get(text, text)

    def sentence(self, text: str) -> str:
        return self._word.sub(lambda m: self._names[m.group(1)], text) if self._word else text


def round_report(doc: Mapping[str, Any], names: Names | None = None) -> Report:
    """A RoundReport (rsnms.round-report/1) as the portal's document model; its cells are already
    formatted the Russian way; a recommendation becomes a paragraph citing its scope."""
    names = names or Names({})
    sections = []
    for s in doc.get("sections", ()):
        paragraphs = [names.sentence(p) for p in s.get("paragraphs", ())]
        paragraphs += [f"• {names.sentence(r['text'])}" for r in s.get("recommendations", ())]
        tables = tuple(
            Table(
                tuple(names.cell(str(c)) for c in t["columns"]),
                tuple(tuple(names.cell(str(c)) for c in row) for row in t["rows"]),
            )
            for t in s.get("tables", ())
            if t.get("columns")
        )
        sections.append(Section(s["title"], tuple(paragraphs), tables))
    return Report(doc.get("title", "Аналитическая справка"), names.sentence(doc.get("subtitle", "")), tuple(sections))


@dataclass(frozen=True)
class DeficitMap:
    competencies: tuple[str, ...]  # titles
    rows: tuple[tuple[str, tuple[tuple[float | None, str], ...]], ...]  # municipality, (share, text) per competency


def deficit_map(
    analysis: Mapping[str, Any], municipality: Callable[[str], str], competency_titles: Mapping[str, str]
) -> DeficitMap:
    """Share of a municipality's diagnosed educators with each deficit (the round's analysis);
    competencies by their Russian titles from the competency frameworks."""
    cells = {(c["municipality_id"], c["competency"]): c for c in analysis.get("deficit_map", ())}
    competencies = tuple(sorted({k[1] for k in cells}))
    munis = sorted({k[0] for k in cells}, key=municipality)
    rows = []
    for m in munis:
        row = []
        for comp in competencies:
            c = cells.get((m, comp))
            row.append(
                (c["share"], f"{formats.percent(c['share'])} ({c['educators']} из {c['diagnosed']})")
                if c
                else (None, "—")
            )
        rows.append((municipality(m), tuple(row)))
    return DeficitMap(tuple(competency_titles.get(c, c) for c in competencies), tuple(rows))
