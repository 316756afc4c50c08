"""Building an individual educational route (ИОМ) from a diagnosis.

For each deficit, most severe first, the builder picks a program of the catalogue that
addresses it: programs in the federal register ФР ДПП on the diagnosis date first, then
the one covering most of the still open deficits, then the shortest, then by id. A
program covering several deficits is taken once with all it covers. Programs the educator
already completed are not offered again. Program hours stay within the budget; a deficit
no affordable program addresses gets an informal format (internship, master class,
horizontal learning) and is listed as not covered by a program. Young teachers also get
mentoring. Every item says why it is there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from contracts import Deficit, Diagnosis, ProgramRecorded, Route, RouteItem, SupportStaffRecorded

INFORMAL_BY_AREA = {
    "subject": "internship",
    "methodical": "internship",
    "digital": "master_class",
    "psychological_pedagogical": "horizontal_learning",
    "management": "horizontal_learning",
}
INFORMAL_TITLES = {
    "internship": "стажировка на стажировочной площадке",
    "master_class": "мастер-класс",
    "horizontal_learning": "горизонтальное обучение (сетевое сообщество)",
    "mentoring": "наставничество",
}
SEVERITY_RANK = {"critical": 0, "severe": 1, "moderate": 2}


def _why(deficits: Sequence[Deficit]) -> str:
    return "; ".join(f"закрывает дефицит «{d.competency}» (балл {d.score:g} < порог {d.threshold:g})" for d in deficits)


@dataclass(frozen=True)
class BuiltItems:
    items: tuple[RouteItem, ...]
    uncovered: tuple[str, ...]
    hours: int


def choose_programs(diagnosis: Diagnosis, catalogue: Iterable[ProgramRecorded], completed: set[str],
                    budget_hours: int, young: bool) -> BuiltItems:
    day = diagnosis.diagnosed_on
    programs = [p for p in catalogue if p.implemented and p.program_id not in completed]
    deficits = sorted(diagnosis.deficits, key=lambda d: (SEVERITY_RANK[d.severity], d.score - d.threshold, d.competency))
    open_ = {d.competency: d for d in deficits}
    items: list[RouteItem] = []
    hours = 0
    uncovered: list[Deficit] = []
    for deficit in deficits:
        if deficit.competency not in open_:
            continue
        candidates = [p for p in programs if deficit.competency in p.competencies and hours + p.hours <= budget_hours
                      and p.program_id not in {i.program_id for i in items}]
        if not candidates:
            uncovered.append(open_.pop(deficit.competency))
            continue
        best = min(candidates, key=lambda p: (not p.in_register_on(day),
                                              -sum(c in open_ for c in p.competencies), p.hours, p.program_id))
        covers = [open_.pop(c) for c in sorted(best.competencies) if c in open_]
        in_register = best.in_register_on(day)
        items.append(RouteItem(
            item_id=f"p{len(items) + 1}", kind="program", program_id=best.program_id, in_federal_register=in_register,
            hours=best.hours, covers=tuple(d.competency for d in covers),
            reason=f"Программа «{best.title}» ({best.hours} ч): {_why(covers)}"
                   + ("; программа из ФР ДПП" if in_register else "; программа вне ФР ДПП (в реестре нет подходящей)")))
        hours += best.hours
    by_kind: dict[str, list[Deficit]] = {}
    for d in uncovered:
        by_kind.setdefault(INFORMAL_BY_AREA.get(d.area, "horizontal_learning"), []).append(d)
    for kind, ds in sorted(by_kind.items()):
        items.append(RouteItem(
            item_id=f"f{len(items) + 1}", kind=kind, hours=0, covers=tuple(d.competency for d in ds),
            reason=f"{INFORMAL_TITLES[kind].capitalize()}: {_why(ds)}; подходящей программы в пределах "
                   f"{budget_hours} ч нет"))
    if young:
        items.append(RouteItem(item_id=f"f{len(items) + 1}", kind="mentoring", hours=0, covers=(),
                               reason="Наставничество: молодой педагог (до 35 лет, первые 3 года работы)"))
    return BuiltItems(tuple(items), tuple(d.competency for d in uncovered), hours)


def choose_supporter(staff: Iterable[SupportStaffRecorded], kind: str, load: dict[str, int], max_load: int,
                     municipality: str | None) -> str | None:
    """An active methodist/mentor with spare capacity: same municipality first, then least loaded."""
    able = [s for s in staff if s.kind == kind and s.active and load.get(s.staff_id, 0) < min(s.capacity, max_load)]
    if not able:
        return None
    return min(able, key=lambda s: (s.municipality_id != municipality, load.get(s.staff_id, 0), s.staff_id)).staff_id


def build_route(diagnosis: Diagnosis, catalogue: Iterable[ProgramRecorded], completed: set[str],
                budget_hours: int, young: bool, methodist_id: str | None) -> Route:
    built = choose_programs(diagnosis, catalogue, completed, budget_hours, young)
    return Route(route_id=f"route-{diagnosis.diagnosis_id}", educator_id=diagnosis.educator_id,
                 diagnosis_id=diagnosis.diagnosis_id, assigned_on=diagnosis.diagnosed_on, methodist_id=methodist_id,
                 items=built.items, uncovered=built.uncovered, total_hours=built.hours)
