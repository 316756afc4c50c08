"""An independent, deliberately plain recomputation of the indicators from raw events,
following docs/indicators.md line by line. It shares no code with services/indicators:
it is what the production fold is checked against."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

Key = tuple[str, str, str]  # (indicator, scope_kind, scope_id)


def _plus_three_years(day: date) -> date:
    try:
        return day.replace(year=day.year + 3)
    except ValueError:  # 29 February
        return date(day.year + 3, 2, 28)


def _latest(facts: dict[str, Any], key: str, payload: Any) -> None:
    if key not in facts or payload.revision > facts[key].revision:
        facts[key] = payload


def recompute(events: list[Any], region: str, d: date) -> dict[Key, tuple[int, int]]:
    orgs: dict[str, Any] = {}
    educators: dict[str, Any] = {}
    programs: dict[str, Any] = {}
    staff: dict[str, Any] = {}
    teams: dict[str, Any] = {}
    cnppm: dict[str, Any] = {}
    roadmap: dict[str, Any] = {}
    moves: dict[str, list[Any]] = defaultdict(list)
    left: dict[str, date] = {}
    diagnosed: dict[str, list[date]] = defaultdict(list)
    routes: dict[str, Any] = {}
    closed: dict[str, date] = {}
    completions: dict[str, list[Any]] = defaultdict(list)
    supports: dict[str, list[Any]] = defaultdict(list)
    team_done: dict[str, list[Any]] = defaultdict(list)
    trained: dict[str, list[date]] = defaultdict(list)
    seen = set()
    for e in events:
        if e.region != region or e.event_id in seen:
            continue
        seen.add(e.event_id)
        p, t = e.payload, e.event_type
        if t == "OrganizationRegistered":
            _latest(orgs, p.organization_id, p)
        elif t == "EducatorRegistered":
            _latest(educators, p.educator_id, p)
        elif t == "EducatorMoved":
            moves[p.educator_id].append(p)
        elif t == "EducatorDeparted":
            left[p.educator_id] = min(left.get(p.educator_id, p.left_on), p.left_on)
        elif t == "ProgramRegistered":
            _latest(programs, p.program_id, p)
        elif t == "SupportStaffRegistered":
            _latest(staff, p.staff_id, p)
        elif t == "ManagementTeamRegistered":
            _latest(teams, p.team_id, p)
        elif t == "CnppmStaffRegistered":
            _latest(cnppm, p.staff_id, p)
        elif t == "CnppmStaffTrainedByFederalOperator":
            trained[p.staff_id].append(p.trained_on)
        elif t == "RoadmapItemUpdated":
            _latest(roadmap, p.item_id, p)
        elif t == "DeficitDiagnosed":
            diagnosed[p.educator_id].append(p.diagnosed_on)
        elif t == "RouteAssigned":
            routes[p.route_id] = p
        elif t in ("RouteCompleted", "RouteCancelled"):
            closed[p.route_id] = min(closed.get(p.route_id, p.closed_on), p.closed_on)
        elif t == "ProgramCompleted":
            completions[p.educator_id].append(p)
        elif t == "SupportAssigned":
            supports[p.educator_id].append(p)
        elif t == "TeamProgramCompleted":
            team_done[p.team_id].append(p)

    counts: Counter[Key] = Counter()

    def add(ind: str, scopes: list[tuple[str, str]], num: bool) -> None:
        for kind, sid in scopes:
            counts[(ind, kind, sid, "den")] += 1  # type: ignore[index]
            if num:
                counts[(ind, kind, sid, "num")] += 1  # type: ignore[index]

    def placement(eid: str, reg: Any) -> tuple[str, str]:
        options = [(reg.registered_on, 0, reg.organization_id, reg.municipality_id)]
        options += [
            (m.transferred_on, 1, m.organization_id, m.municipality_id) for m in moves[eid] if m.transferred_on <= d
        ]
        best = max(options)
        return best[2], best[3]

    routes_of: dict[str, list[Any]] = defaultdict(list)
    for r in routes.values():
        routes_of[r.educator_id].append(r)

    methodists = {k: v for k, v in staff.items() if v.kind == "methodist" and v.active}
    load: Counter[str] = Counter()
    for eid, reg in educators.items():
        if reg.registered_on > d or (eid in left and left[eid] <= d):
            continue
        org, muni = placement(eid, reg)
        scopes = [("region", region), ("municipality", muni), ("organization", org)]
        add("I1", scopes, any(x <= d for x in diagnosed[eid]))
        my_routes = [r for r in routes_of[eid] if r.assigned_on <= d]
        add("I2", scopes, bool(my_routes))
        if reg.role == "teacher":
            ok = False
            for c in completions[eid]:
                prog = programs.get(c.program_id)
                if c.completed_on > d or prog is None:
                    continue
                selected = any(
                    r.assigned_on <= c.completed_on
                    and any(i.kind == "program" and i.program_id == c.program_id for i in r.items)
                    for r in my_routes
                )
                in_reg = (
                    prog.register_from is not None
                    and prog.register_from <= c.completed_on
                    and (prog.register_to is None or c.completed_on <= prog.register_to)
                )
                ok = ok or (selected and in_reg)
            add("I3", scopes, ok)
            if d.year - reg.birth_year < 35 and reg.career_start <= d < _plus_three_years(reg.career_start):
                add("I5", scopes, any(s.assigned_on <= d and (s.until is None or s.until >= d) for s in supports[eid]))
        attached = [
            r
            for r in my_routes
            if r.methodist_id in methodists and not (r.route_id in closed and closed[r.route_id] <= d)
        ]
        if attached:
            counts[("E1", "region", region, "num")] += 1
            counts[("E1", "municipality", muni, "num")] += 1
            for m in {r.methodist_id for r in attached}:
                load[m] += 1
    for m in methodists.values():
        counts[("E1", "region", region, "den")] += 1
        counts[("E1", "municipality", m.municipality_id, "den")] += 1

    quality = {pid for pid, p in programs.items() if p.topic == "education_quality_management"}
    for tid, team in teams.items():
        done = any(c.completed_on <= d and c.program_id in quality for c in team_done[tid])
        add(
            "I4",
            [("region", region), ("municipality", team.municipality_id), ("organization", team.organization_id)],
            done,
        )
    for p in programs.values():
        if not p.implemented:
            continue
        scopes = [("region", region)]
        if p.provider_id in orgs:
            scopes += [("municipality", orgs[p.provider_id].municipality_id), ("organization", p.provider_id)]
        in_reg = p.register_from is not None and p.register_from <= d and (p.register_to is None or d <= p.register_to)
        add("I6", scopes, in_reg)
    for sid, st in cnppm.items():
        if st.active:
            add("E2", [("region", region), ("organization", st.organization_id)], any(x <= d for x in trained[sid]))
    for item in roadmap.values():
        if item.status != "cancelled":
            add("RM", [("region", region)], item.status == "done")

    result: dict[Key, tuple[int, int]] = {}
    for (ind, kind, sid, part), n in counts.items():
        num, den = result.get((ind, kind, sid), (0, 0))
        result[(ind, kind, sid)] = (num + n, den) if part == "num" else (num, den + n)
    result[("E1max", "region", region)] = (max(load.values(), default=0), 0)
    return result
