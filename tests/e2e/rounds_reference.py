"""An independent recomputation of a monitoring round's analysis from raw events: deltas
against the previous round, scopes below target, the deficit map and the program requests.
It shares no code with services/indicators (it reads the targets file as plain YAML and builds
on tests/e2e/reference.py for the indicators themselves)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.reference import recompute

TARGETS = Path(__file__).resolve().parents[2] / "services" / "indicators" / "targets.yaml"
AT_MOST = {"E1"}


def targets(region: str, year: int, path: Path = TARGETS) -> dict[str, float]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = dict(doc.get("default") or {})
    out.update((doc.get("years") or {}).get(year, {}) or {})
    regional = (doc.get("regions") or {}).get(region, {}) or {}
    out.update({k: v for k, v in regional.items() if k != "years"})
    out.update((regional.get("years") or {}).get(year, {}) or {})
    return {k: float(v) for k, v in out.items() if v is not None}


def indicator_counts(events: list[Any], region: str, d: date) -> dict[tuple[str, str, str], tuple[int, int]]:
    return {k: v for k, v in recompute(events, region, d).items() if k[0] != "E1max"}


def deltas(events: list[Any], region: str, before: date, after: date) -> dict[tuple[str, str, str], tuple]:
    """(indicator, scope kind, scope id) -> ((num, den) before or None, (num, den) after or None)."""
    old, new = indicator_counts(events, region, before), indicator_counts(events, region, after)
    return {k: (old.get(k), new.get(k)) for k in set(old) | set(new)}


def below_target(events: list[Any], region: str, d: date, path: Path = TARGETS) -> set[tuple[str, str, str]]:
    goals = targets(region, d.year, path)
    out = set()
    for (ind, kind, sid), (num, den) in indicator_counts(events, region, d).items():
        if kind == "region" or den == 0 or ind not in goals:
            continue
        value = num / den
        if (value > goals[ind]) if ind in AT_MOST else (value < goals[ind]):
            out.add((ind, kind, sid))
    return out


def _latest(facts: dict[str, Any], key: str, payload: Any) -> None:
    if key not in facts or payload.revision > facts[key].revision:
        facts[key] = payload


def deficit_map(events: list[Any], region: str, d: date) -> dict[tuple[str, str], tuple[int, int]]:
    """(municipality, competency) -> (educators with the deficit, diagnosed educators)."""
    educators: dict[str, Any] = {}
    moves: dict[str, list[Any]] = defaultdict(list)
    left: dict[str, date] = {}
    diagnoses: dict[str, list[Any]] = defaultdict(list)
    seen = set()
    for e in events:
        if e.region != region or e.event_id in seen:
            continue
        seen.add(e.event_id)
        p = e.payload
        if e.event_type == "EducatorRegistered":
            _latest(educators, p.educator_id, p)
        elif e.event_type == "EducatorMoved":
            moves[p.educator_id].append(p)
        elif e.event_type == "EducatorDeparted":
            left[p.educator_id] = min(left.get(p.educator_id, p.left_on), p.left_on)
        elif e.event_type == "DeficitDiagnosed":
            diagnoses[p.educator_id].append(p)
    diagnosed: dict[str, int] = defaultdict(int)
    hits: dict[tuple[str, str], int] = defaultdict(int)
    for eid, reg in educators.items():
        if reg.registered_on > d or (eid in left and left[eid] <= d):
            continue
        mine = [x for x in diagnoses[eid] if x.diagnosed_on <= d]
        if not mine:
            continue
        options = [(reg.registered_on, 0, reg.organization_id, reg.municipality_id)]
        options += [
            (m.transferred_on, 1, m.organization_id, m.municipality_id) for m in moves[eid] if m.transferred_on <= d
        ]
        muni = max(options)[3]
        last = max(mine, key=lambda x: (x.diagnosed_on, x.diagnosis_id))
        diagnosed[muni] += 1
        for deficit in {x.competency for x in last.deficits}:
            hits[(muni, deficit)] += 1
    return {(m, c): (n, diagnosed[m]) for (m, c), n in hits.items()}


def program_requests(events: list[Any], region: str, d: date) -> dict[tuple[str, str], int]:
    """(competency, municipality) -> educators, for deficits no program implemented on D addresses."""
    programs: dict[str, Any] = {}
    periods: dict[str, list[Any]] = defaultdict(list)
    for e in events:
        if e.region == region and e.event_type == "ProgramRegistered":
            _latest(programs, e.payload.program_id, e.payload)
        elif e.region == region and e.event_type == "ProgramImplementationReported":
            periods[e.payload.program_id].append(e.payload)

    def implemented(pid: str) -> bool:
        started = [x for x in periods[pid] if x.period_from <= d]
        return any(d <= x.period_to for x in started) if started else programs[pid].implemented

    covered = {c for pid, p in programs.items() if implemented(pid) for c in p.competencies}
    return {(c, m): n for (m, c), (n, _) in deficit_map(events, region, d).items() if c not in covered}


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def effectiveness(events: list[Any], region: str, d: date) -> dict[str, tuple]:
    """program -> (completers, pairs, mean growth, share closed, comparison pairs, comparison mean
    growth, comparison share closed), from consecutive diagnoses on or before D and the
    completions the routes service accepted between them."""
    programs: dict[str, Any] = {}
    diagnoses: dict[str, list[Any]] = defaultdict(list)
    completions: dict[str, list[Any]] = defaultdict(list)
    seen = set()
    for e in events:
        if e.region != region or e.event_id in seen:
            continue
        seen.add(e.event_id)
        p = e.payload
        if e.event_type == "ProgramRegistered":
            _latest(programs, p.program_id, p)
        elif e.event_type == "DeficitDiagnosed" and p.diagnosed_on <= d:
            diagnoses[p.educator_id].append(p)
        elif e.event_type == "ProgramCompletionAccepted":
            completions[p.educator_id].append(p)
    treated: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    who: dict[str, set[str]] = defaultdict(set)
    control: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for eid, mine in diagnoses.items():
        mine.sort(key=lambda x: (x.diagnosed_on, x.diagnosis_id))
        for i in range(len(mine) - 1):
            a, b = mine[i], mine[i + 1]
            done = {c.program_id for c in completions[eid] if a.diagnosed_on < c.completed_on <= b.diagnosed_on}
            before = {x.competency for x in a.deficits}
            after = {x.competency for x in b.deficits}
            for comp in sorted(before):
                if comp not in a.scores or comp not in b.scores:
                    continue
                pair = (b.scores[comp] - a.scores[comp], comp not in after)
                covering = [pid for pid in done if pid in programs and comp in programs[pid].competencies]
                for pid in covering:
                    treated[pid].append(pair)
                    who[pid].add(eid)
                if not covering:
                    control[comp].append(pair)
    out = {}
    for pid, pairs in treated.items():
        comparison = [x for c in programs[pid].competencies for x in control.get(c, [])]
        out[pid] = (
            len(who[pid]),
            len(pairs),
            _mean([g for g, _ in pairs]),
            _mean([1.0 if c else 0.0 for _, c in pairs]),
            len(comparison),
            _mean([g for g, _ in comparison]),
            _mean([1.0 if c else 0.0 for _, c in comparison]),
        )
    return out
