"""The efficiency indicators (показатели эффективности) I1-I6, E1, E2 and road-map
completion, computed from a region's folded state as of a date, exactly as
docs/indicators.md defines them. Pure: no I/O."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

from contracts import IndicatorValue
from contracts.calendar import add_years
from services.indicators.domain.state import EducatorFacts, RegionState
from services.indicators.domain.targets import met

Scope = tuple[str, str]  # (scope kind, scope id)
QUALITY_TOPIC = "education_quality_management"


class Tally:
    """Numerators and denominators per (indicator, scope)."""

    def __init__(self) -> None:
        self.num: Counter[tuple[str, Scope]] = Counter()
        self.den: Counter[tuple[str, Scope]] = Counter()

    def count(self, indicator: str, scopes: Iterable[Scope], hit: bool) -> None:
        for scope in scopes:
            self.den[(indicator, scope)] += 1
            if hit:
                self.num[(indicator, scope)] += 1


def _in_register(state: RegionState, program_id: str, on: date) -> bool:
    program = state.programs.get(program_id)
    return program is not None and program.in_register_on(on)


def _i3(state: RegionState, facts: EducatorFacts, d: date) -> bool:
    """Completed a register program that one of the educator's routes (assigned by then) selected."""
    for program_id, completed_on in facts.completions:
        if completed_on > d or not _in_register(state, program_id, completed_on):
            continue
        if any(assigned <= completed_on and program_id in programs for assigned, _, programs in facts.routes.values()):
            return True
    return False


def _young(facts: EducatorFacts, d: date) -> bool:
    reg = facts.registration
    assert reg is not None
    start = reg.career_start
    return reg.role == "teacher" and d.year - reg.birth_year < 35 and start <= d < add_years(start, 3)


def compute(state: RegionState, as_of: date, targets: dict[str, float]) -> list[IndicatorValue]:
    d, region = as_of, state.region
    tally = Tally()
    methodists = {sid: s for sid, s in state.staff.items() if s.kind == "methodist" and s.active}
    load: Counter[str] = Counter()
    for facts in state.educators.values():
        if not facts.active_on(d):
            continue
        org, muni = facts.placement(d)  # type: ignore[misc]
        scopes = [("region", region), ("municipality", muni), ("organization", org)]
        tally.count("I1", scopes, any(day <= d for day in facts.diagnoses.values()))
        tally.count("I2", scopes, any(assigned <= d for assigned, _, _ in facts.routes.values()))
        if facts.registration.role == "teacher":  # type: ignore[union-attr]
            tally.count("I3", scopes, _i3(state, facts, d))
            if _young(facts, d):
                tally.count("I5", scopes, any(a <= d and (u is None or u >= d) for a, u in facts.supports.values()))
        carried = {m for rid, (assigned, m, _) in facts.routes.items()
                   if assigned <= d and m in methodists and not (rid in facts.closed and facts.closed[rid] <= d)}
        if carried:
            for scope in (("region", region), ("municipality", muni)):
                tally.num[("E1", scope)] += 1
            load.update(carried)
    for staff in methodists.values():
        for scope in (("region", region), ("municipality", staff.municipality_id)):
            tally.den[("E1", scope)] += 1

    quality = {pid for pid, p in state.programs.items() if p.topic == QUALITY_TOPIC}
    for tid, team in state.teams.items():
        done = any(day <= d and pid in quality for pid, day in state.team_completions.get(tid, ()))
        tally.count("I4", [("region", region), ("municipality", team.municipality_id),
                           ("organization", team.organization_id)], done)
    for program in state.programs.values():
        if not program.implemented:
            continue
        scopes: list[Scope] = [("region", region)]
        provider = state.organizations.get(program.provider_id)
        if provider is not None:
            scopes += [("municipality", provider.municipality_id), ("organization", program.provider_id)]
        tally.count("I6", scopes, program.in_register_on(d))
    for sid, staff in state.cnppm_staff.items():
        if staff.active:
            tally.count("E2", [("region", region), ("organization", staff.organization_id)],
                        any(day <= d for day in state.trainings.get(sid, ())))
    for item in state.roadmap.values():
        if item.status != "cancelled":
            tally.count("RM", [("region", region)], item.status == "done")
    return _values(tally, region, targets, max(load.values(), default=0))


def _values(tally: Tally, region: str, targets: dict[str, float], max_load: int) -> list[IndicatorValue]:
    keys = sorted(set(tally.num) | set(tally.den), key=lambda k: (k[0], k[1][0] != "region", k[1]))
    out = []
    for indicator, (kind, sid) in keys:
        num, den = tally.num[(indicator, (kind, sid))], tally.den[(indicator, (kind, sid))]
        value = num / den if den else None
        extra: dict[str, float] = {}
        region_e1 = indicator == "E1" and kind == "region"
        if region_e1:
            extra["max_load"] = float(max_load)
        target = targets.get(indicator)
        out.append(IndicatorValue(
            indicator=indicator, scope_kind=kind, scope_id=sid, numerator=num, denominator=den, value=value,
            target=target, target_met=met(indicator, value, target, max_load if region_e1 else None), extra=extra))
    return out


def by_scope(values: Iterable[IndicatorValue]) -> dict[str, list[IndicatorValue]]:
    grouped: dict[str, list[IndicatorValue]] = defaultdict(list)
    for v in values:
        grouped[v.scope_kind].append(v)
    return grouped
