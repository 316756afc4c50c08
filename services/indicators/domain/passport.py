"""The passport (паспорт ДППО) of a region as of a date: the sections of seed 004 built from
the folded state, the indicator table, and the Kafka positions the snapshot includes. Pure.

Sections the events do not report (financing, correlation with students' results) are
present with explicit nulls and a note, never left out. Breakdowns are keyed only by
enumerations (roles, kinds, topics, statuses), never by entity ids: document keys stay
free of '.' and '$' (FerretDB) and the passport carries counts only, no personal data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date

from contracts import IndicatorValue, KafkaPosition, PassportDocument, PassportSection
from services.indicators.domain.labels import (
    FINANCING_NOTE,
    NO_RESOURCES_NOTE,
    PASSPORT_TITLE,
    SECTION_TITLES,
    STUDENTS_RESULTS_NOTE,
)
from services.indicators.domain.records import EducatorRecord, RegionState
from services.indicators.domain.sections import with_submissions
from services.indicators.domain.targets import PROVIDERS


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _section(name: str, **kwargs: object) -> PassportSection:
    return PassportSection(title=SECTION_TITLES[name], **kwargs)


def staff_section(state: RegionState, active: Sequence[EducatorRecord], d: date) -> PassportSection:
    """Кадровый состав: educators by role, support staff by kind, ЦНППМ staff and those trained."""
    roles = Counter(e.fact.role for e in active if e.fact)
    categories = Counter(e.fact.qualification_category for e in active if e.fact)
    kinds = Counter(s.fact.kind for s in state.support_staff.values() if s.fact is not None and s.employed_on(d))
    cnppm = [r for r in state.cnppm_staff.values() if r.employed_on(d)]
    trained = sum(1 for r in cnppm if any(day <= d for day in r.trainings))
    return _section(
        "staff",
        figures={
            "educators": len(active),
            "teachers": roles["teacher"],
            "managers": roles["manager"],
            "regional_methodists": kinds["methodist"],
            "tutors": kinds["tutor"],
            "mentors": kinds["mentor"],
            "cnppm_staff": len(cnppm),
            "cnppm_staff_trained": trained,
            "cnppm_staff_trained_share": _share(trained, len(cnppm)),
        },
        breakdown={"educators_by_qualification_category": dict(sorted(categories.items()))},
    )


def programs_section(state: RegionState, d: date) -> PassportSection:
    """Программы ДПО: implemented programs, those in ФР ДПП on D and their share, by topic."""
    records = [r for r in state.programs.values() if r.fact is not None and r.implemented_on(d)]
    implemented = [r.fact for r in records if r.fact is not None]
    in_register = [r for r in records if r.in_register_on(d)]
    return _section(
        "programs",
        figures={
            "implemented": len(implemented),
            "in_federal_register": len(in_register),
            "federal_register_share": _share(len(in_register), len(implemented)),
            "providers": len({p.provider_id for p in implemented}),
        },
        breakdown={
            "implemented_by_topic": dict(sorted(Counter(p.topic for p in implemented).items())),
            "in_federal_register_by_topic": dict(sorted(Counter(r.fact.topic for r in in_register if r.fact).items())),
        },
    )


def infrastructure_section(state: RegionState, d: date) -> PassportSection:
    """Региональная инфраструктура ДПО on D: organizations open on D by kind, ШНОР/ШНСУ schools,
    teams existing on D."""
    orgs = [r.fact for r in state.organizations.values() if r.fact is not None and r.open_on(d)]
    schools = [o for o in orgs if o.kind == "school"]
    return _section(
        "infrastructure",
        figures={
            "organizations": len(orgs),
            "municipalities": len({o.municipality_id for o in orgs}),
            "schools": len(schools),
            "schools_low_results": sum(1 for o in schools if o.low_results),
            "schools_unfavourable_conditions": sum(1 for o in schools if o.unfavourable_conditions),
            "management_teams": sum(1 for t in state.teams.values() if t.exists_on(d)),
        },
        breakdown={"organizations_by_kind": dict(sorted(Counter(o.kind for o in orgs).items()))},
    )


def involvement_section(active: Sequence[EducatorRecord], d: date) -> PassportSection:
    """Вовлечение педагогов: diagnosed (by anyone), with routes (the platform's or reported), with
    completed programs, with a confirmed support form on D."""
    diagnosed = sum(1 for e in active if e.diagnosed_by(d, PROVIDERS))
    return _section(
        "involvement",
        figures={
            "active_educators": len(active),
            "diagnosed": diagnosed,
            "diagnosed_share": _share(diagnosed, len(active)),
            "with_routes": sum(1 for e in active if e.route_sources_by(d)),
            "completed_programs": sum(1 for e in active if e.completed_any_by(d)),
            "program_completions": sum(1 for e in active for c in e.completions if c.on <= d),
            "with_support_form": sum(1 for e in active if e.supporters_on(d)),
        },
    )


def roadmap_section(state: RegionState, d: date) -> PassportSection:
    """Выполнение дорожной карты: items (not cancelled), done, overdue, completion share."""
    statuses = [(r.fact, r.status_on(d)) for r in state.roadmap.values() if r.fact is not None]
    items = [(fact, status) for fact, status in statuses if status is not None]
    counted = [(fact, status) for fact, status in items if status != "cancelled"]
    done = sum(1 for _, status in counted if status == "done")
    overdue = sum(1 for fact, status in counted if status != "done" and fact.due_date < d)
    return _section(
        "roadmap",
        figures={"items": len(counted), "done": done, "overdue": overdue, "completion": _share(done, len(counted))},
        breakdown={"items_by_status": dict(sorted(Counter(status for _, status in items).items()))},
    )


def build_passport(
    state: RegionState,
    as_of: date,
    indicators: Iterable[IndicatorValue],
    positions: Iterable[KafkaPosition],
    information_resources: Sequence[str] = (),
) -> PassportDocument:
    """The passport document of the region's state as of `as_of`, with every section the events
    cannot supply present and marked missing, and the completeness of each (a monitoring round's
    passport fills them from the submissions: `sections.with_submissions`)."""
    d = as_of
    active = [e for e in state.educators.values() if e.active_on(d)]
    orgs = state.facts("organization")
    document = PassportDocument(
        title=PASSPORT_TITLE,
        region=state.region,
        as_of=d,
        staff=staff_section(state, active, d),
        programs=programs_section(state, d),
        infrastructure=infrastructure_section(state, d),
        financing=_section("financing", figures={"total_rub": None, "per_educator_rub": None}, note=FINANCING_NOTE),
        involvement=involvement_section(active, d),
        information_resources=_section(
            "information_resources",
            items=tuple(information_resources),
            note=None if information_resources else NO_RESOURCES_NOTE,
        ),
        indicators=tuple(indicators),
        students_results=_section("students_results", figures={"correlation": None}, note=STUDENTS_RESULTS_NOTE),
        roadmap=roadmap_section(state, d),
        kafka_positions=tuple(sorted(positions, key=lambda p: (p.topic, p.partition))),
    )
    return with_submissions(
        document,
        (),
        {o.municipality_id for o in orgs.values()},
        {oid for oid, o in orgs.items() if o.kind == "internship_site"},
    )
