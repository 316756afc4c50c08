"""Passport sections that events cannot supply (financing, correlation with pupils' results,
information resources, the register of municipal methodical service staff and their training,
methodical associations, internship sites): validation of a submission beyond its types,
the passport sections built from the latest submissions, and completeness per section. Pure.

The contract (`contracts.events.rounds`) already refuses a wrong type or an out-of-range value
at decoding (dead-lettered as `invalid` with the field and the rule); `validate` adds the rules
that need the region (known municipalities and organizations) and the round, in Russian.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from contracts import (
    FinancingSection,
    InformationResourcesSection,
    InternshipSitesSection,
    MethodicalAssociationsSection,
    MmsStaffSection,
    PassportDocument,
    PassportSection,
    SectionCompleteness,
    SectionSubmission,
    StudentsResultsSection,
)
from contracts.events.rounds import SUBMITTED_SECTIONS
from services.indicators.domain.russian import day, percent

SUBMITTED_TITLES: dict[str, str] = {
    "financing": "Финансовое обеспечение",
    "students_results": "Корреляция с результатами обучающихся",
    "information_resources": "Информационные ресурсы",
    "mms_staff": "Реестр сотрудников муниципальных методических служб и их обучение",
    "methodical_associations": "Методические объединения",
    "internship_sites": "Стажировочные площадки",
}
#: sections the platform builds from events
EVENT_SECTIONS: dict[str, str] = {
    "staff": "Кадровый состав",
    "programs": "Дополнительные профессиональные программы, в том числе включённые в ФР ДПП",
    "infrastructure": "Региональная инфраструктура ДПО",
    "involvement": "Вовлечение педагогических работников в мероприятия системы",
    "indicators": "Показатели эффективности",
    "roadmap": "Выполнение дорожной карты",
}
MISSING_NOTE = "Раздел не представлен: сведения не поступают событиями и ещё не переданы РОИВ или ИРО."


class SubmissionRefused(ValueError):
    """A well-typed submission that contradicts the region or itself (Russian reason)."""


@dataclass(frozen=True)
class Submitted:
    """A stored, accepted submission: what it says and who signed it."""

    submission: SectionSubmission
    source: str
    sequence: int

    @property
    def section(self) -> str:
        return self.submission.data.section


def _dupes(values: Iterable[str]) -> list[str]:
    return sorted(k for k, n in Counter(values).items() if n > 1)


def validate(
    submission: SectionSubmission,
    reporting_date: date | None,
    municipalities: set[str],
    organizations: Mapping[str, str],
) -> None:
    """Rules beyond the types; SubmissionRefused with the reason. `organizations`: id -> municipality."""
    d: Any = submission.data
    title = SUBMITTED_TITLES[d.section]
    where = f"раздел «{title}» (заявка {submission.submission_id})"
    if reporting_date is None:
        raise SubmissionRefused(f"{where}: тур мониторинга {submission.round_id} не объявлен")
    year = getattr(d, "year", None)
    if year is not None and year > reporting_date.year:
        raise SubmissionRefused(f"{where}: год {year} позже года даты отчёта тура ({day(reporting_date)})")
    rows: Sequence[Any] = getattr(d, "municipalities", ()) or getattr(d, "sites", ())
    if isinstance(d, (MmsStaffSection, MethodicalAssociationsSection)):
        dupes = _dupes(r.municipality_id for r in rows)
        if dupes:
            raise SubmissionRefused(f"{where}: муниципалитет указан дважды: {', '.join(dupes)}")
    for row in rows:
        if municipalities and row.municipality_id not in municipalities:
            raise SubmissionRefused(f"{where}: муниципалитет {row.municipality_id} не известен реестру региона")
    if isinstance(d, MmsStaffSection):
        for row in d.municipalities:
            if row.trained > row.staff:
                raise SubmissionRefused(
                    f"{where}: в муниципалитете {row.municipality_id} обучено {row.trained} сотрудников ММС "
                    f"при численности {row.staff}"
                )
    if isinstance(d, MethodicalAssociationsSection):
        for row in d.municipalities:
            if row.associations > 0 and row.members < row.associations:
                raise SubmissionRefused(
                    f"{where}: в муниципалитете {row.municipality_id} объединений ({row.associations}) "
                    f"больше, чем участников ({row.members})"
                )
    if isinstance(d, InternshipSitesSection):
        dupes = _dupes(r.organization_id for r in d.sites)
        if dupes:
            raise SubmissionRefused(f"{where}: площадка указана дважды: {', '.join(dupes)}")
        for row in d.sites:
            if organizations and row.organization_id not in organizations:
                raise SubmissionRefused(f"{where}: организация {row.organization_id} не известна реестру региона")
            if organizations and organizations[row.organization_id] != row.municipality_id:
                raise SubmissionRefused(
                    f"{where}: организация {row.organization_id} находится в муниципалитете "
                    f"{organizations[row.organization_id]}, а не {row.municipality_id}"
                )
    if isinstance(d, InformationResourcesSection):
        dupes = _dupes(r.url for r in d.resources)
        if dupes:
            raise SubmissionRefused(f"{where}: ресурс указан дважды: {', '.join(dupes)}")


def latest(submissions: Iterable[Submitted]) -> dict[str, Submitted]:
    """The latest submission of each section (by date, then arrival)."""
    out: dict[str, Submitted] = {}
    for s in submissions:
        current = out.get(s.section)
        if current is None or (s.submission.submitted_on, s.sequence) > (
            current.submission.submitted_on,
            current.sequence,
        ):
            out[s.section] = s
    return out


def _section_of(d: Any) -> PassportSection:
    title = SUBMITTED_TITLES[d.section]
    if isinstance(d, FinancingSection):
        total = d.regional_budget_rub + d.federal_budget_rub + d.extrabudgetary_rub
        return PassportSection(
            title=title,
            figures={
                "year": d.year,
                "regional_budget_rub": d.regional_budget_rub,
                "federal_budget_rub": d.federal_budget_rub,
                "extrabudgetary_rub": d.extrabudgetary_rub,
                "total_rub": total,
            },
        )
    if isinstance(d, StudentsResultsSection):
        return PassportSection(
            title=title,
            figures={"year": d.year, "correlation": d.correlation, "schools": d.schools},
            items=(f"{d.assessment}: {d.method}",),
        )
    if isinstance(d, InformationResourcesSection):
        return PassportSection(title=title, items=tuple(f"{r.title}: {r.url}" for r in d.resources))
    if isinstance(d, MmsStaffSection):
        staff, trained = sum(r.staff for r in d.municipalities), sum(r.trained for r in d.municipalities)
        return PassportSection(
            title=title,
            figures={"year": d.year, "staff": staff, "trained": trained, "municipalities": len(d.municipalities)},
            breakdown={"staff_by_municipality": {r.municipality_id: r.staff for r in d.municipalities}},
        )
    if isinstance(d, MethodicalAssociationsSection):
        return PassportSection(
            title=title,
            figures={
                "associations": sum(r.associations for r in d.municipalities),
                "members": sum(r.members for r in d.municipalities),
                "municipalities": len(d.municipalities),
            },
            breakdown={"associations_by_municipality": {r.municipality_id: r.associations for r in d.municipalities}},
        )
    assert isinstance(d, InternshipSitesSection)
    return PassportSection(
        title=title,
        figures={"sites": len(d.sites), "educators_trained": sum(r.educators_trained for r in d.sites)},
        items=tuple(f"{r.organization_id} ({r.municipality_id}): {r.topic}" for r in d.sites),
    )


def _coverage(d: Any, municipalities: set[str], internship_sites: set[str]) -> float:
    if isinstance(d, (MmsStaffSection, MethodicalAssociationsSection)) and municipalities:
        return len({r.municipality_id for r in d.municipalities} & municipalities) / len(municipalities)
    if isinstance(d, InternshipSitesSection) and internship_sites:
        return len({r.organization_id for r in d.sites} & internship_sites) / len(internship_sites)
    return 1.0


def completeness(
    submitted: Mapping[str, Submitted], municipalities: set[str], internship_sites: set[str], configured: bool
) -> tuple[SectionCompleteness, ...]:
    """Every section of the passport with its source and completeness: event sections are
    complete by construction; a submitted section is as complete as the municipalities (or the
    registry's internship sites) it covers; information resources fall back to configuration."""
    out = [
        SectionCompleteness(section=k, title=t, source="events", status="complete", completeness=1.0)
        for k, t in EVENT_SECTIONS.items()
    ]
    for name in SUBMITTED_SECTIONS:
        s = submitted.get(name)
        title = SUBMITTED_TITLES[name]
        if s is None:
            if name == "information_resources" and configured:
                out.append(
                    SectionCompleteness(
                        section=name,
                        title=title,
                        source="configuration",
                        status="partial",
                        completeness=0.5,
                        note="Указаны только ресурсы из конфигурации платформы; региональные ресурсы не представлены.",
                    )
                )
            else:
                out.append(
                    SectionCompleteness(
                        section=name, title=title, source="none", status="missing", completeness=0.0, note=MISSING_NOTE
                    )
                )
            continue
        share = _coverage(s.submission.data, municipalities, internship_sites)
        out.append(
            SectionCompleteness(
                section=name,
                title=title,
                source="submission",
                status="complete" if share >= 1.0 else "partial",
                completeness=round(share, 6),
                submitted_on=s.submission.submitted_on,
                submitted_by=s.source,
                signed_by=s.submission.signed_by,
                note=None if share >= 1.0 else f"Охвачено {percent(share)} муниципалитетов или площадок.",
            )
        )
    return tuple(out)


def with_submissions(
    document: PassportDocument,
    submissions: Iterable[Submitted],
    municipalities: set[str],
    internship_sites: set[str],
) -> PassportDocument:
    """The passport with the submitted sections filled in (a missing one says so) and the
    completeness of every section."""
    chosen = latest(submissions)
    update: dict[str, Any] = {}
    for name in SUBMITTED_SECTIONS:
        s = chosen.get(name)
        if s is not None:
            section = _section_of(s.submission.data)
            if name == "information_resources":
                section = section.model_copy(
                    update={"items": tuple(dict.fromkeys((*section.items, *document.information_resources.items)))}
                )
            update[name] = section
        elif name not in ("financing", "students_results", "information_resources"):
            update[name] = PassportSection(title=SUBMITTED_TITLES[name], note=MISSING_NOTE)
    update["completeness"] = completeness(
        chosen, municipalities, internship_sites, configured=bool(document.information_resources.items)
    )
    return document.model_copy(update=update)
