"""The «аналитическая справка» as a structured document (headings, paragraphs, tables) that
any renderer (DOCX, PDF) turns into a file. Built from the region's indicator table and passport;
when monitoring rounds are published, a round's report maps onto the same model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from contracts import IndicatorTable, PassportSnapshot
from services.portal.domain import formats
from services.portal.domain.views import overview, passport_sections, scope_rows


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    sections: tuple[Section, ...] = field(default_factory=tuple)


def analytical_report(
    table: IndicatorTable,
    titles: Mapping[str, str],
    region_name: str,
    municipality_name: Callable[[str], str],
    passport: PassportSnapshot | None,
    previous: IndicatorTable | None = None,
) -> Report:
    rows = overview(table, titles, [(formats.day(previous.as_of), previous)] if previous else [])
    met = [r for r in rows if r.target_met is True]
    missed = [r for r in rows if r.target_met is False]
    summary = (
        f"По состоянию на {formats.day(table.as_of)} целевые значения достигнуты по {len(met)} из "
        f"{len(met) + len(missed)} показателей с установленной целью."
    )
    header: tuple[str, ...] = ("Показатель", "Числитель", "Знаменатель", "Значение", "Цель", "Статус")
    if previous:
        header = (*header, f"На {formats.day(previous.as_of)}")
    indicator_rows = tuple(
        (
            f"{r.indicator}. {r.title}",
            formats.number(r.numerator),
            formats.number(r.denominator),
            r.value_text,
            r.target_text,
            r.status,
            *((r.trend[0][1] if r.trend else "—",) if previous else ()),
        )
        for r in rows
    )
    sections = [
        Section("1. Общие сведения", (summary,)),
        Section("2. Показатели эффективности РСНМС", (), (Table(header, indicator_rows),)),
    ]
    munis = scope_rows(table, "municipality", municipality_name)
    below = [m for m in munis if m.below_target]
    sections.append(
        Section(
            "3. Муниципальные образования ниже целевых значений",
            (
                (
                    "Все муниципальные образования достигают целевых значений."
                    if not below
                    else f"Ниже целевых значений хотя бы по одному показателю: {len(below)} из {len(munis)}."
                ),
            ),
            (
                Table(
                    ("Муниципальное образование", "Показателей ниже цели"),
                    tuple((m.name, str(m.below_target)) for m in below),
                ),
            )
            if below
            else (),
        )
    )
    if missed:
        sections.append(
            Section(
                "4. Рекомендации",
                tuple(
                    f"{r.indicator}: значение {r.value_text} при цели {r.target_text} "
                    f"({formats.number(r.numerator)} из {formats.number(r.denominator)}); "
                    "рекомендуется включить мероприятия по показателю в дорожную карту."
                    for r in missed
                ),
            )
        )
    if passport is not None:
        sections.append(
            Section(
                "5. Полнота паспорта ДППО",
                (f"Паспорт на {formats.day(passport.as_of)}, версия {passport.version}.",),
                (
                    Table(
                        ("Раздел", "Заполнено"),
                        tuple((s.title, formats.percent(s.completeness, 0)) for s in passport_sections(passport)),
                    ),
                ),
            )
        )
    return Report(
        "Аналитическая справка по результатам мониторинга РСНМС",
        f"{region_name}, по состоянию на {formats.day(table.as_of)}",
        tuple(sections),
    )
