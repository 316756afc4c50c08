"""The analysis of a monitoring round (анализ результатов мониторинга), from the frozen
indicator values, the folded state and the diagnoses, as of the round's reporting date D. Pure.

- deltas: every indicator of every scope against the previous round's latest version;
- below target: municipalities and organizations whose value misses the target;
- deficit map: competency × municipality, share of the active educators diagnosed by D whose
  latest diagnosis on or before D shows the deficit (placement as of D);
- uncovered deficits: cells of the map whose competency no program of the catalogue implemented
  on D addresses (they become program requests to the ИРО);
- effectiveness: consecutive diagnoses of an educator (both on or before D) and a competency
  that was a deficit at the first: growth = the later score - the earlier, closed = no longer a
  deficit; completers of a program covering the competency between the two against pairs where
  no covering program was completed;
- road map: planned volumes of the year against actual (routes assigned, educators trained,
  management teams trained in quality management from 1 January to D; routes include those
  developed outside the platform) and the yes/no items due that year (their status on D).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from contracts import IndicatorValue
from contracts.report import (
    BelowTarget,
    DeficitCell,
    Delta,
    Figure,
    ProgramEffect,
    RoadmapItemRow,
    RoundAnalysis,
    UncoveredDeficit,
    VolumeRow,
)
from services.indicators.domain.records import RegionState

QUALITY_TOPIC = "education_quality_management"
DIGITS = 4
VOLUME_TITLES = {
    "routes": "Разработано индивидуальных образовательных маршрутов",
    "trained": "Педагогов, освоивших программы ДПО",
    "management_teams": "Управленческих команд, повысивших квалификацию",
}


@dataclass(frozen=True)
class DiagnosisFact:
    """What the analysis needs of a `DeficitDiagnosed`."""

    educator_id: str
    diagnosis_id: str
    diagnosed_on: date
    scores: Mapping[str, float]
    deficits: frozenset[str]


@dataclass(frozen=True)
class Previous:
    round_id: str
    reporting_date: date
    values: Sequence[IndicatorValue]


@dataclass(frozen=True)
class Volumes:
    """Planned volumes of the road map for a year (None: no plan set)."""

    planned: Mapping[str, int | None] = field(default_factory=dict)


def _figure(v: IndicatorValue | None) -> Figure | None:
    return None if v is None else Figure(numerator=v.numerator, denominator=v.denominator, value=v.value)


def deltas(current: Sequence[IndicatorValue], previous: Sequence[IndicatorValue]) -> tuple[Delta, ...]:
    now = {(v.indicator, v.scope_kind, v.scope_id): v for v in current}
    before = {(v.indicator, v.scope_kind, v.scope_id): v for v in previous}
    out = []
    for key in sorted(set(now) | set(before)):
        a, b = now.get(key), before.get(key)
        change = (
            None if a is None or b is None or a.value is None or b.value is None else round(a.value - b.value, DIGITS)
        )
        out.append(
            Delta(
                indicator=key[0], scope_kind=key[1], scope_id=key[2], before=_figure(b), after=_figure(a), change=change
            )
        )
    return tuple(out)


def below_target(current: Sequence[IndicatorValue]) -> tuple[BelowTarget, ...]:
    return tuple(
        BelowTarget(
            indicator=v.indicator,
            scope_kind=v.scope_kind,
            scope_id=v.scope_id,
            numerator=v.numerator,
            denominator=v.denominator,
            value=v.value,
            target=v.target,
        )
        for v in current
        if v.scope_kind in ("municipality", "organization") and v.target_met is False and v.target is not None
    )


def _by_educator(diagnoses: Sequence[DiagnosisFact], d: date) -> dict[str, list[DiagnosisFact]]:
    out: dict[str, list[DiagnosisFact]] = defaultdict(list)
    for x in diagnoses:
        if x.diagnosed_on <= d:
            out[x.educator_id].append(x)
    for items in out.values():
        items.sort(key=lambda x: (x.diagnosed_on, x.diagnosis_id))
    return out


def deficit_map(state: RegionState, diagnoses: Sequence[DiagnosisFact], d: date) -> tuple[DeficitCell, ...]:
    mine = _by_educator(diagnoses, d)
    diagnosed: dict[str, int] = defaultdict(int)
    hits: dict[tuple[str, str], int] = defaultdict(int)
    for eid, items in mine.items():
        educator = state.educators.get(eid)
        if educator is None or not educator.active_on(d):
            continue
        _, muni = educator.placement(d)
        diagnosed[muni] += 1
        for c in items[-1].deficits:
            hits[(muni, c)] += 1
    return tuple(
        DeficitCell(
            municipality_id=m, competency=c, educators=n, diagnosed=diagnosed[m], share=round(n / diagnosed[m], DIGITS)
        )
        for (m, c), n in sorted(hits.items())
    )


def uncovered(state: RegionState, cells: Sequence[DeficitCell], d: date) -> tuple[UncoveredDeficit, ...]:
    """Cells whose competency no program implemented on D addresses."""
    covered = {
        c for r in state.programs.values() if r.fact is not None and r.implemented_on(d) for c in r.fact.competencies
    }
    return tuple(
        UncoveredDeficit(competency=x.competency, municipality_id=x.municipality_id, educators=x.educators)
        for x in sorted(cells, key=lambda x: (x.competency, x.municipality_id))
        if x.competency not in covered
    )


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), DIGITS) if xs else None


def effectiveness(state: RegionState, diagnoses: Sequence[DiagnosisFact], d: date) -> tuple[ProgramEffect, ...]:
    programs = state.facts("program")
    treated: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    completers: dict[str, set[str]] = defaultdict(set)
    control: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for eid, items in _by_educator(diagnoses, d).items():
        educator = state.educators.get(eid)
        done = educator.completions if educator is not None else set()
        for prev, nxt in zip(items, items[1:], strict=False):
            between = {c.program_id for c in done if prev.diagnosed_on < c.on <= nxt.diagnosed_on}
            for comp in sorted(prev.deficits):
                if comp not in prev.scores or comp not in nxt.scores:
                    continue
                pair = (nxt.scores[comp] - prev.scores[comp], comp not in nxt.deficits)
                covering = [pid for pid in sorted(between) if pid in programs and comp in programs[pid].competencies]
                if covering:
                    for pid in covering:
                        treated[pid].append(pair)
                        completers[pid].add(eid)
                else:
                    control[comp].append(pair)
    out = []
    for pid in sorted(treated):
        pairs = treated[pid]
        comparison = [p for c in programs[pid].competencies for p in control.get(c, [])]
        out.append(
            ProgramEffect(
                program_id=pid,
                completers=len(completers[pid]),
                pairs=len(pairs),
                mean_growth=_mean([g for g, _ in pairs]),
                closed_share=_mean([1.0 if c else 0.0 for _, c in pairs]),
                comparison_pairs=len(comparison),
                comparison_mean_growth=_mean([g for g, _ in comparison]),
                comparison_closed_share=_mean([1.0 if c else 0.0 for _, c in comparison]),
            )
        )
    return tuple(out)


def volumes(state: RegionState, d: date, plan: Volumes) -> tuple[VolumeRow, ...]:
    start = date(d.year, 1, 1)
    routes = sum(1 for e in state.educators.values() for r in e.routes.values() if start <= r.assigned_on <= d)
    routes += sum(
        1 for e in state.educators.values() for x in e.external_routes.values() if start <= x.developed_on <= d
    )
    trained = sum(1 for e in state.educators.values() if any(start <= c.on <= d for c in e.completions))
    quality = {pid for pid, p in state.facts("program").items() if p.topic == QUALITY_TOPIC}
    teams = sum(
        1
        for t in state.teams.values()
        if t.fact is not None and any(start <= c.on <= d and c.program_id in quality for c in t.completions)
    )
    actual = {"routes": routes, "trained": trained, "management_teams": teams}
    return tuple(
        VolumeRow(measure=k, title=VOLUME_TITLES[k], planned=plan.planned.get(k), actual=actual[k])
        for k in ("routes", "trained", "management_teams")
    )


def roadmap_items(state: RegionState, d: date) -> tuple[RoadmapItemRow, ...]:
    rows = []
    for item_id, record in sorted(state.roadmap.items()):
        item, status = record.fact, record.status_on(d)
        if item is None or status == "cancelled" or item.due_date.year != d.year:
            continue
        rows.append(RoadmapItemRow(item_id=item_id, title=item.title, due_date=item.due_date, done=status == "done"))
    return tuple(rows)


def analyse(
    *,
    round_id: str,
    version: int,
    state: RegionState,
    diagnoses: Sequence[DiagnosisFact],
    current: Sequence[IndicatorValue],
    reporting_date: date,
    previous: Previous | None,
    plan: Volumes,
) -> RoundAnalysis:
    d = reporting_date
    cells = deficit_map(state, diagnoses, d)
    e1 = next((v for v in current if v.indicator == "E1" and v.scope_kind == "region"), None)
    return RoundAnalysis(
        round_id=round_id,
        region=state.region,
        version=version,
        reporting_date=d,
        previous_round_id=previous.round_id if previous else None,
        previous_reporting_date=previous.reporting_date if previous else None,
        deltas=deltas(current, previous.values if previous else ()),
        below_target=below_target(current),
        deficit_map=cells,
        uncovered=uncovered(state, cells, d),
        effectiveness=effectiveness(state, diagnoses, d),
        volumes=volumes(state, d, plan),
        roadmap_items=roadmap_items(state, d),
        max_methodist_load=int(e1.extra.get("max_load", 0)) if e1 else 0,
    )
