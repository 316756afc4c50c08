"""The round's report («аналитическая справка») as a structured document (contracts.report):
sections of Russian paragraphs, tables of formatted cells and recommendations. Pure; a renderer
(the portal's DOCX/PDF) only lays it out. Numbers and dates in Russian formats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from contracts import IndicatorValue, Recommendation, RoundVersion, SectionCompleteness
from contracts.report import ReportSection, ReportTable, RoundAnalysis, RoundReport
from services.indicators.domain.labels import INDICATOR_TITLES
from services.indicators.domain.passport_lifecycle import STATUS_TITLES
from services.indicators.domain.russian import day, number, percent, points

SCHEDULES = {"annual": "ежегодно", "semiannual": "два раза в год", "quarterly": "ежеквартально", "once": "однократно"}
INDICATOR_ORDER = ("I1", "I2", "I3", "I4", "I5", "I6", "E1", "E2", "RM")


def _v(indicator: str, value: float | None) -> str:
    return number(value, 1) if indicator == "E1" else percent(value)


def _met(v: IndicatorValue) -> str:
    return {True: "да", False: "нет", None: "цель не установлена" if v.target is None else "—"}[v.target_met]


def _general(version: RoundVersion, analysis: RoundAnalysis, passport_status: str) -> ReportSection:
    positions = ", ".join(f"{p.topic}[{p.partition}]: {number(p.offset, 0)}" for p in version.kafka_positions)
    paragraphs = [
        f"Тур мониторинга «{version.title}» ({version.round_id}), дата отчёта {day(version.reporting_date)}, "
        f"периодичность: {SCHEDULES[version.schedule]}.",
        f"Версия среза {version.version} от {day(version.frozen_at.date())}. Основание: {version.reason}",
        f"Статус паспорта: {STATUS_TITLES[passport_status]}.",
        f"Срез включает события журнала до позиций: {positions or '—'}.",
    ]
    if analysis.previous_round_id:
        paragraphs.append(
            f"Сравнение проводится с туром {analysis.previous_round_id} (дата отчёта {day(analysis.previous_reporting_date)})."
        )
    else:
        paragraphs.append("Предыдущего закрытого тура нет: динамика не рассчитывается.")
    return ReportSection(key="general", title="1. Общие сведения", paragraphs=tuple(paragraphs))


def _indicators(version: RoundVersion, analysis: RoundAnalysis) -> ReportSection:
    deltas = {(x.indicator, x.scope_kind, x.scope_id): x for x in analysis.deltas}
    rows = []
    for v in version.indicators:
        if v.scope_kind != "region":
            continue
        x = deltas.get((v.indicator, v.scope_kind, v.scope_id))
        before = x.before.value if x and x.before else None
        change = (
            "—" if x is None or x.change is None else (number(x.change, 1) if v.indicator == "E1" else points(x.change))
        )
        rows.append(
            (
                v.indicator,
                INDICATOR_TITLES.get(v.indicator, v.indicator),
                number(v.numerator, 0),
                number(v.denominator, 0),
                _v(v.indicator, v.value),
                "—" if v.target is None else _v(v.indicator, v.target),
                _met(v),
                _v(v.indicator, before),
                change,
            )
        )
    table = ReportTable(
        title="Показатели эффективности по региону",
        columns=(
            "Код",
            "Показатель",
            "Числитель",
            "Знаменатель",
            "Значение",
            "Цель",
            "Достигнута",
            "Предыдущий тур",
            "Изменение",
        ),
        rows=tuple(rows),
    )
    munis = sorted({x.scope_id for x in analysis.deltas if x.scope_kind == "municipality"})
    by = {(x.indicator, x.scope_id): x for x in analysis.deltas if x.scope_kind == "municipality"}
    indicators = [i for i in INDICATOR_ORDER if any(k[0] == i for k in by)]
    mrows = []
    for m in munis:
        cells = [m]
        for i in indicators:
            x = by.get((i, m))
            if x is None or x.after is None:
                cells.append("—")
            else:
                change = "" if x.change is None else f" ({number(x.change, 1) if i == 'E1' else points(x.change)})"
                cells.append(_v(i, x.after.value) + change)
        mrows.append(tuple(cells))
    dynamics = ReportTable(
        title="Значения и динамика по муниципалитетам",
        columns=("Муниципалитет", *indicators),
        rows=tuple(mrows),
        note="В скобках — изменение по сравнению с предыдущим туром.",
    )
    return ReportSection(key="indicators", title="2. Показатели эффективности и их динамика", tables=(table, dynamics))


def _below(analysis: RoundAnalysis) -> ReportSection:
    tables = []
    for kind, title in (("municipality", "Муниципалитеты"), ("organization", "Организации")):
        rows = tuple(
            (
                b.scope_id,
                b.indicator,
                _v(b.indicator, b.value),
                f"{number(b.numerator, 0)} / {number(b.denominator, 0)}",
                _v(b.indicator, b.target),
            )
            for b in analysis.below_target
            if b.scope_kind == kind
        )
        tables.append(
            ReportTable(
                title=f"{title} ниже целевых значений",
                columns=("Код", "Показатель", "Значение", "Числитель / знаменатель", "Цель"),
                rows=rows,
            )
        )
    count = len({(b.scope_kind, b.scope_id) for b in analysis.below_target})
    return ReportSection(
        key="below_target",
        title="3. Муниципалитеты и организации ниже целевых значений",
        paragraphs=(f"Ниже целевых значений хотя бы по одному показателю: {number(count, 0)}.",),
        tables=tuple(tables),
    )


def _deficits(analysis: RoundAnalysis, titles: Mapping[str, str]) -> ReportSection:
    munis = sorted({c.municipality_id for c in analysis.deficit_map})
    comps = sorted({c.competency for c in analysis.deficit_map})
    cell = {(c.competency, c.municipality_id): c for c in analysis.deficit_map}
    rows = tuple(
        (titles.get(comp, comp), *(percent(cell[(comp, m)].share) if (comp, m) in cell else "0,0 %" for m in munis))
        for comp in comps
    )
    requests = tuple(
        (titles.get(u.competency, u.competency), u.municipality_id, number(u.educators, 0)) for u in analysis.uncovered
    )
    return ReportSection(
        key="deficits",
        title="4. Карта профессиональных дефицитов",
        paragraphs=(
            "Доля педагогов с дефицитом по компетенции среди прошедших диагностику работающих педагогов муниципалитета "
            "(по последней диагностике не позднее даты отчёта).",
        ),
        tables=(
            ReportTable(title="Компетенция × муниципалитет", columns=("Компетенция", *munis), rows=rows),
            ReportTable(
                title="Дефициты, не обеспеченные программами каталога (заявки в ИРО)",
                columns=("Компетенция", "Муниципалитет", "Педагогов"),
                rows=requests,
            ),
        ),
    )


def _effectiveness(analysis: RoundAnalysis) -> ReportSection:
    rows = tuple(
        (
            e.program_id,
            number(e.completers, 0),
            number(e.mean_growth, 1),
            percent(e.closed_share),
            number(e.comparison_pairs, 0),
            number(e.comparison_mean_growth, 1),
            percent(e.comparison_closed_share),
        )
        for e in analysis.effectiveness
    )
    return ReportSection(
        key="effectiveness",
        title="5. Эффективность программ по результатам повторной диагностики",
        paragraphs=(
            "Прирост балла и доля закрытых дефицитов у педагогов, освоивших программу между двумя диагностиками, "
            "в сравнении с педагогами с теми же дефицитами, не осваивавшими программ по этим компетенциям.",
        ),
        tables=(
            ReportTable(
                title="Освоившие программу и сопоставимая группа",
                columns=(
                    "Программа",
                    "Освоили",
                    "Прирост балла",
                    "Закрыто дефицитов",
                    "Сопоставимых случаев",
                    "Прирост балла (сравнение)",
                    "Закрыто дефицитов (сравнение)",
                ),
                rows=rows,
            ),
        ),
    )


def _roadmap(analysis: RoundAnalysis) -> ReportSection:
    volumes = tuple(
        (
            v.title,
            "план не установлен" if v.planned is None else number(v.planned, 0),
            number(v.actual, 0),
            "—" if not v.planned else percent(v.actual / v.planned),
        )
        for v in analysis.volumes
    )
    items = tuple((i.item_id, i.title, day(i.due_date), "да" if i.done else "нет") for i in analysis.roadmap_items)
    return ReportSection(
        key="roadmap",
        title="6. Дорожная карта: плановые объёмы и выполнение мероприятий",
        paragraphs=(f"Период: с 01.01.{analysis.reporting_date.year} по {day(analysis.reporting_date)}.",),
        tables=(
            ReportTable(
                title="Плановые объёмы и факт", columns=("Показатель", "План", "Факт", "Выполнение"), rows=volumes
            ),
            ReportTable(
                title="Мероприятия со сроком в текущем году",
                columns=("Код", "Мероприятие", "Срок", "Выполнено"),
                rows=items,
            ),
        ),
    )


def _passport(version: RoundVersion, completeness: Sequence[SectionCompleteness]) -> ReportSection:
    rows = tuple(
        (
            c.title,
            {"events": "события", "submission": "представлено", "configuration": "конфигурация", "none": "нет"}[
                c.source
            ],
            percent(c.completeness),
            day(c.submitted_on) if c.submitted_on else "—",
            c.submitted_by or "—",
        )
        for c in completeness
    )
    return ReportSection(
        key="passport",
        title="7. Паспорт ДППО: полнота разделов",
        tables=(
            ReportTable(
                title="Разделы паспорта",
                columns=("Раздел", "Источник", "Полнота", "Дата", "Кем представлено"),
                rows=rows,
            ),
        ),
    )


def build_report(
    version: RoundVersion,
    analysis: RoundAnalysis,
    recommendations: Sequence[Recommendation],
    passport_status: str,
    completeness: Sequence[SectionCompleteness],
    generated_at: datetime,
    competency_titles: Mapping[str, str] | None = None,
) -> RoundReport:
    titles = competency_titles or {}
    region_values = {
        v.indicator: v.value for v in version.indicators if v.scope_kind == "region" and v.value is not None
    }
    return RoundReport(
        region=version.region,
        round_id=version.round_id,
        version=version.version,
        reporting_date=version.reporting_date,
        generated_at=generated_at,
        title="Аналитическая справка по итогам мониторинга региональной системы научно-методического сопровождения",
        subtitle=f"{version.region}, тур «{version.title}», по состоянию на {day(version.reporting_date)} (версия {version.version})",
        sections=(
            _general(version, analysis, passport_status),
            _indicators(version, analysis),
            _below(analysis),
            _deficits(analysis, titles),
            _effectiveness(analysis),
            _roadmap(analysis),
            _passport(version, completeness),
            ReportSection(
                key="recommendations",
                title="8. Адресные рекомендации",
                paragraphs=(f"Сформировано рекомендаций: {number(len(recommendations), 0)}.",),
                recommendations=tuple(recommendations),
            ),
        ),
        figures={
            **{f"{k}_region": v for k, v in region_values.items()},
            "below_target_scopes": float(len({(b.scope_kind, b.scope_id) for b in analysis.below_target})),
            "program_requests": float(len(analysis.uncovered)),
            "recommendations": float(len(recommendations)),
        },
    )
