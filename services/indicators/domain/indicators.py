"""The efficiency indicators (показатели эффективности) I1-I6, I4R, E1, E2 and RM, computed
from a region's folded state as of a date D exactly as docs/indicators.md defines them,
for the region, each municipality and each organization. Pure: no I/O.

Every fact is read as it was on D (employment, placement, teams, program periods, register
status, road-map status, forms and attachments): `as_of=D` is what was true on D.

A row exists for a scope as soon as something counts in it (numerator or denominator);
`value` is None when the denominator is 0.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Generator, Iterable, Mapping
from datetime import date
from typing import Any

from contracts import IndicatorValue
from contracts.calendar import add_years
from services.indicators.domain.records import EducatorRecord, RegionState
from services.indicators.domain.targets import DEFAULT_I1_PROVIDERS, INDICATORS, Targets, met

Scope = tuple[str, str]  # (scope kind, scope id)
QUALITY_TOPIC = "education_quality_management"
YOUNG_AGE_LIMIT = 35
FIRST_YEARS = 3
SCOPE_ORDER = {"region": 0, "municipality": 1, "organization": 2}
#: an indicator's place in the table
INDICATOR_ORDER = {name: n for n, name in enumerate(INDICATORS)}


class Tally:
    """Numerators and denominators per (indicator, scope).

    Educators are tallied per placement cell (municipality, organization) and the cells are
    rolled up to their three scopes once at the end (`roll_up`): one count per educator and
    indicator instead of three.
    """

    def __init__(self) -> None:
        self.num: dict[tuple[str, Scope], int] = defaultdict(int)
        self.den: dict[tuple[str, Scope], int] = defaultdict(int)
        self.cell_num: dict[tuple[str, str, str], int] = defaultdict(int)
        self.cell_den: dict[tuple[str, str, str], int] = defaultdict(int)

    def count(self, indicator: str, scopes: Iterable[Scope], hit: bool) -> None:
        for scope in scopes:
            self.den[(indicator, scope)] += 1
            if hit:
                self.num[(indicator, scope)] += 1

    def count_cell(self, indicator: str, muni: str, org: str, hit: bool) -> None:
        key = (indicator, muni, org)
        self.cell_den[key] += 1
        if hit:
            self.cell_num[key] += 1

    def roll_up(self, region: str) -> None:
        for cells, totals in ((self.cell_den, self.den), (self.cell_num, self.num)):
            for (indicator, muni, org), n in cells.items():
                for scope in (("region", region), ("municipality", muni), ("organization", org)):
                    totals[(indicator, scope)] += n
            cells.clear()


def completed_selected_register_program(state: RegionState, educator: EducatorRecord, d: date) -> bool:
    """I3: a completion on or before D of a program that (a) one of the educator's routes assigned
    on or before the completion date selected and (b) was in ФР ДПП on the completion date."""
    for program_id, completed_on in educator.completions:
        if completed_on > d:
            continue
        program = state.programs.get(program_id)
        if program is None or not program.in_register_on(completed_on):
            continue
        if any(r.assigned_on <= completed_on and program_id in r.program_ids for r in educator.routes.values()):
            return True
    return False


def young_teacher(educator: EducatorRecord, d: date) -> bool:
    """I5 denominator: a teacher under 35 (D.year - birth year) in the first 3 years of work."""
    reg = educator.fact
    if reg is None or reg.role != "teacher":
        return False
    start = reg.career_start
    return d.year - reg.birth_year < YOUNG_AGE_LIMIT and start <= d < add_years(start, FIRST_YEARS)


def real_supporter(state: RegionState, supporter_id: str, d: date) -> bool:
    """A supporter the registry knows and who works on D: a support-staff member (mentor, tutor,
    methodist) employed on D or an educator active on D."""
    staff = state.support_staff.get(supporter_id)
    if staff is not None and staff.employed_on(d):
        return True
    educator = state.educators.get(supporter_id)
    return educator is not None and educator.active_on(d)


class Extras:
    """What E1 and I2 show beside their ratio."""

    def __init__(self) -> None:
        self.load: Counter[str] = Counter()
        self.without: Counter[Scope] = Counter()
        self.sources: Counter[str] = Counter()


def _educators(
    educators: Iterable[tuple[str, EducatorRecord]],
    state: RegionState,
    d: date,
    tally: Tally,
    methodists: set[str],
    providers: frozenset[str],
    extras: Extras,
) -> None:
    """I1, I2, I3, I5 and E1's numerator: active educators at their placement as of D (the
    cells are rolled up by the caller)."""
    region = state.region
    for eid, educator in educators:
        if not educator.active_on(d):
            continue
        org, muni = educator.placement(d)
        tally.count_cell("I1", muni, org, educator.diagnosed_by(d, providers))
        sources = educator.route_sources_by(d)
        tally.count_cell("I2", muni, org, bool(sources))
        extras.sources.update(sources)
        if not educator.is_teacher:
            continue
        tally.count_cell("I3", muni, org, completed_selected_register_program(state, educator, d))
        if young_teacher(educator, d):
            supported = any(real_supporter(state, s, d) for s in educator.supporters_on(d) if s != eid)
            tally.count_cell("I5", muni, org, supported)
        attached = educator.methodists_on(d) & methodists
        if attached:
            for scope in (("region", region), ("municipality", muni)):
                tally.num[("E1", scope)] += 1
            extras.load.update(attached)
        else:
            extras.without.update((("region", region), ("municipality", muni)))


def _network(state: RegionState, d: date, tally: Tally) -> None:
    """I4, I4R, I6, E2 and RM: teams, programs, ЦНППМ staff and the road map."""
    region = state.region
    quality = {pid for pid, p in state.facts("program").items() if p.topic == QUALITY_TOPIC}
    for team in state.teams.values():
        if team.fact is None or not team.exists_on(d):
            continue
        scopes: list[Scope] = [
            ("region", region),
            ("municipality", team.fact.municipality_id),
            ("organization", team.fact.organization_id),
        ]
        done = [c for c in team.completions if c.on <= d]
        tally.count("I4", scopes, any(c.program_id in quality for c in done))
        tally.count("I4R", scopes, bool(done))
    for record in state.programs.values():
        program = record.fact
        if program is None or not record.implemented_on(d):
            continue
        scopes = [("region", region)]
        provider = state.organization(program.provider_id)
        if provider is not None:
            scopes += [("municipality", provider.municipality_id), ("organization", program.provider_id)]
        tally.count("I6", scopes, record.in_register_on(d))
    for staff in state.cnppm_staff.values():
        if staff.fact is not None and staff.employed_on(d):
            tally.count(
                "E2",
                [("region", region), ("organization", staff.fact.organization_id)],
                any(day <= d for day in staff.trainings),
            )
    for item in state.roadmap.values():
        status = item.status_on(d)
        if status is not None and status != "cancelled":
            tally.count("RM", [("region", region)], status == "done")


#: educators tallied (or values made) between two pauses of `indicator_steps`: ~6 ms of CPU, the
#: most a batch of the fold waits behind a live table at each of its awaits
STEP = 250


def compute_indicators(
    state: RegionState, region: str, as_of: date, targets: Targets | Mapping[str, float]
) -> list[IndicatorValue]:
    """Every indicator of the region's state as of `as_of`, for every scope that has a count,
    ordered by indicator (I1..RM), scope kind (region, municipality, organization) and id."""
    steps = indicator_steps(state, region, as_of, targets)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            values: list[IndicatorValue] = done.value
            return values


def indicator_steps(
    state: RegionState, region: str, as_of: date, targets: Targets | Mapping[str, float], step: int = STEP
) -> Generator[None, None, list[IndicatorValue]]:
    """`compute_indicators` in steps: it pauses (yields) after every `step` educators, once they
    are rolled up, once the network is counted and after every `step` values it makes, and
    returns the values, so that a caller on an event loop lets other work run between the steps.
    The state may change during a pause: each educator is tallied whole, as the state is when its
    turn comes; one registered meanwhile is not (the caller recomputes a region that changed)."""
    if state.region != region:
        raise ValueError(f"state of {state.region} asked for {region}")
    if isinstance(targets, Targets):
        goals, providers = targets.for_region(region, as_of.year), targets.i1_providers(region)
    else:
        goals, providers = dict(targets), DEFAULT_I1_PROVIDERS
    tally = Tally()
    methodists = {
        sid
        for sid, s in state.support_staff.items()
        if s.fact is not None and s.fact.kind == "methodist" and s.employed_on(as_of)
    }
    extras = Extras()
    educators = list(state.educators.items())
    for start in range(0, len(educators), step):
        _educators(educators[start : start + step], state, as_of, tally, methodists, providers, extras)
        yield
    tally.roll_up(region)
    yield
    for sid in methodists:
        staff = state.support_staff[sid].fact
        assert staff is not None
        for scope in (("region", region), ("municipality", staff.municipality_id)):
            tally.den[("E1", scope)] += 1
    for scope in extras.without:
        tally.den.setdefault(("E1", scope), 0)
    _network(state, as_of, tally)
    yield
    return (yield from _values(tally, goals, region, extras, step))


def compute(state: RegionState, as_of: date, targets: Targets | Mapping[str, float]) -> list[IndicatorValue]:
    """compute_indicators for the state's own region."""
    return compute_indicators(state, state.region, as_of, targets)


def _extra(
    indicator: str, scope: Scope, region_scope: bool, tally: Tally, goal: float | None, x: Extras
) -> dict[str, Any]:
    """E1: the largest load, the teachers without a methodist and how many methodists are
    missing to carry every teacher at the target (250 when none is set); I2: educators per
    source of their routes (region scope)."""
    if indicator == "E1":
        out = {"without_methodist": float(x.without.get(scope, 0))}
        if region_scope:
            cap = goal or 250.0
            teachers = tally.num.get(("E1", scope), 0) + x.without.get(scope, 0)
            have = tally.den.get(("E1", scope), 0)
            out |= {"max_load": float(max(x.load.values(), default=0))}
            out |= {"methodists_missing": float(max(0, math.ceil(teachers / cap) - have))}
        return out
    if indicator == "I2" and region_scope:
        return {f"source:{k}": float(n) for k, n in sorted(x.sources.items())}
    return {}


def _values(
    tally: Tally, targets: Mapping[str, float], region: str, extras: Extras, step: int
) -> Generator[None, None, list[IndicatorValue]]:
    """The values of the tally, pausing after every `step` of them (a large region has
    thousands: its organizations' values)."""
    keys = sorted(set(tally.num) | set(tally.den), key=lambda k: (INDICATOR_ORDER[k[0]], SCOPE_ORDER[k[1][0]], k[1][1]))
    out = []
    for indicator, (kind, sid) in keys:
        num, den = tally.num.get((indicator, (kind, sid)), 0), tally.den.get((indicator, (kind, sid)), 0)
        value = num / den if den else None
        region_e1 = indicator == "E1" and kind == "region"
        target = targets.get(indicator)
        extra = _extra(indicator, (kind, sid), kind == "region", tally, target, extras)
        out.append(
            IndicatorValue(
                indicator=indicator,
                scope_kind=kind,
                scope_id=sid,
                numerator=num,
                denominator=den,
                value=value,
                target=target,
                target_met=met(indicator, value, target, extra["max_load"] if region_e1 else None),
                extra=extra,
            )
        )
        if len(out) % step == 0:
            yield
    return out
