"""Building an individual educational route (ИОМ) from a diagnosis.

For each deficit, most severe first, the builder picks a program of the catalogue that
addresses it (the deficit's competency is among the program's `competencies`): programs
in the federal register ФР ДПП on the diagnosis date first, then the one covering most of
the still open deficits, then the shortest, then by id. A program covering several
deficits is taken once with all it covers. Programs not implemented, and programs the
educator completed on or before the diagnosis, are not offered. Program hours stay within
the budget; a deficit no affordable program addresses is listed in `uncovered` and gets an
informal format (internship, master class, horizontal learning). Young teachers also get
mentoring. Every item says, in Russian, which deficit it covers and why it was chosen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from contracts import Deficit, Diagnosis, ProgramRecorded, Route, RouteItem

#: informal format offered for an uncovered deficit, by competency area
INFORMAL_BY_AREA = {
    "subject": "internship",
    "methodical": "internship",
    "digital": "master_class",
    "psychological_pedagogical": "horizontal_learning",
    "management": "horizontal_learning",
}
INFORMAL_TITLES = {
    "internship": "Стажировка на стажировочной площадке",
    "master_class": "Мастер-класс",
    "horizontal_learning": "Горизонтальное обучение (сетевое сообщество)",
    "mentoring": "Наставничество",
}
SEVERITY_RANK = {"critical": 0, "severe": 1, "moderate": 2}


def route_id_for(diagnosis_id: str) -> str:
    """`route-<diagnosis id>`; a hash of it when that would exceed the 128-character id limit."""
    route_id = f"route-{diagnosis_id}"
    if len(route_id) > 128:
        route_id = "route-" + hashlib.sha256(diagnosis_id.encode()).hexdigest()[:40]
    return route_id


def severity_order(deficits: Iterable[Deficit]) -> list[Deficit]:
    """Most severe first: severity band, then the widest gap, then the competency id."""
    return sorted(deficits, key=lambda d: (SEVERITY_RANK[d.severity], d.score - d.threshold, d.competency))


def _why(deficits: Sequence[Deficit], titles: Mapping[str, str]) -> str:
    return "; ".join(
        f"закрывает дефицит «{titles.get(d.competency, d.competency)}» (балл {d.score:g} < порог {d.threshold:g})"
        for d in deficits
    )


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Programs:
    """A catalogue's programs as the builder looks them up: the implemented ones by the
    competencies they address, in program id order (built once per catalogue, not per route)."""

    by_competency: Mapping[str, tuple[ProgramRecorded, ...]]
    competencies: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, catalogue: Iterable[ProgramRecorded]) -> Programs:
        implemented = sorted((p for p in catalogue if p.implemented), key=lambda p: p.program_id)
        by_competency: dict[str, list[ProgramRecorded]] = {}
        for p in implemented:
            for c in dict.fromkeys(p.competencies):
                by_competency.setdefault(c, []).append(p)
        return cls(
            {c: tuple(ps) for c, ps in by_competency.items()},
            {p.program_id: frozenset(p.competencies) for p in implemented},
        )


@dataclass(frozen=True)
class BuiltItems:
    items: tuple[RouteItem, ...]
    uncovered: tuple[str, ...]
    hours: int


def choose_items(
    diagnosis: Diagnosis,
    catalogue: Programs | Iterable[ProgramRecorded],
    completed: set[str],
    budget_hours: int,
    young: bool,
    titles: Mapping[str, str] | None = None,
) -> BuiltItems:
    titles = titles or {}
    day = diagnosis.diagnosed_on
    programs = catalogue if isinstance(catalogue, Programs) else Programs.of(catalogue)
    deficits = severity_order(diagnosis.deficits)
    open_ = {d.competency: d for d in deficits}
    items: list[RouteItem] = []
    taken: set[str] = set()
    hours = 0
    uncovered: list[Deficit] = []
    #: per program looked at: whether it is outside the register on the day
    outside: dict[str, bool] = {}

    def rank(p: ProgramRecorded) -> tuple[bool, int, int, str]:
        pid = p.program_id
        if pid not in outside:
            outside[pid] = not p.in_register_on(day)
        return (outside[pid], -len(programs.competencies[pid] & open_.keys()), p.hours, pid)

    for deficit in deficits:
        if deficit.competency not in open_:
            continue  # covered by a program taken for a more severe deficit
        candidates = [
            p
            for p in programs.by_competency.get(deficit.competency, ())
            if p.program_id not in taken and p.program_id not in completed and hours + p.hours <= budget_hours
        ]
        if not candidates:
            uncovered.append(open_.pop(deficit.competency))
            continue
        best = min(candidates, key=rank)
        covers = severity_order(open_[c] for c in set(best.competencies) if c in open_)
        for d in covers:
            del open_[d.competency]
        in_register = best.in_register_on(day)
        where = (
            "программа из ФР ДПП"
            if in_register
            else f"программа вне ФР ДПП: в реестре нет подходящей программы в пределах {budget_hours} ч"
        )
        items.append(
            RouteItem(
                item_id=f"p{len(items) + 1}",
                kind="program",
                program_id=best.program_id,
                in_federal_register=in_register,
                hours=best.hours,
                covers=tuple(d.competency for d in covers),
                reason=f"{_capitalized(_why(covers, titles))}; {where}; «{best.title}», {best.hours} ч",
            )
        )
        taken.add(best.program_id)
        hours += best.hours
    by_kind: dict[str, list[Deficit]] = {}
    for d in uncovered:
        by_kind.setdefault(INFORMAL_BY_AREA.get(d.area, "horizontal_learning"), []).append(d)
    for n, (kind, ds) in enumerate(sorted(by_kind.items()), start=1):
        items.append(
            RouteItem(
                item_id=f"f{n}",
                kind=kind,
                hours=0,
                covers=tuple(d.competency for d in ds),
                reason=f"{_capitalized(_why(ds, titles))}; {INFORMAL_TITLES[kind].lower()}: подходящей программы "
                f"в пределах {budget_hours} ч нет",
            )
        )
    if young:
        items.append(
            RouteItem(
                item_id=f"f{len(by_kind) + 1}",
                kind="mentoring",
                hours=0,
                covers=(),
                reason="Наставничество: молодой педагог (до 35 лет, первые 3 года работы); "
                "поддержка при освоении маршрута",
            )
        )
    return BuiltItems(tuple(items), tuple(d.competency for d in uncovered), hours)


def build_route(
    diagnosis: Diagnosis,
    catalogue: Programs | Iterable[ProgramRecorded],
    completed: set[str],
    budget_hours: int,
    young: bool,
    methodist_id: str | None,
    titles: Mapping[str, str] | None = None,
) -> Route:
    """The route for one diagnosis; `route_id` is derived from the diagnosis id (deterministic)."""
    built = choose_items(diagnosis, catalogue, completed, budget_hours, young, titles)
    return Route(
        route_id=route_id_for(diagnosis.diagnosis_id),
        educator_id=diagnosis.educator_id,
        diagnosis_id=diagnosis.diagnosis_id,
        assigned_on=diagnosis.diagnosed_on,
        methodist_id=methodist_id,
        items=built.items,
        uncovered=built.uncovered,
        total_hours=built.hours,
    )
