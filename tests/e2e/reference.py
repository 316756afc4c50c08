"""An independent, deliberately plain recomputation of the indicators from raw events,
following docs/indicators.md line by line. It shares no code with services/indicators:
it is what the production fold is checked against.

Every fact is read as it was on D. Progress counts only as the routes service accepted it
(`ProgramCompletionAccepted`, `TeamCompletionAccepted`); support forms and methodist attachments
only as the schools reported them; `SupportAssigned` (what the platform used to open itself) and
the routes' methodists (proposals) count for nothing.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

Key = tuple[str, str, str]  # (indicator, scope_kind, scope_id)
STATUS_RANK = {"planned": 0, "in_progress": 1, "done": 2, "cancelled": 3}


def _plus_three_years(day: date) -> date:
    try:
        return day.replace(year=day.year + 3)
    except ValueError:  # 29 February
        return date(day.year + 3, 2, 28)


def _better(new: Any, old: Any) -> bool:
    """The highest revision wins; equal revisions: the greater content (as the ledger would refuse)."""
    if new.revision != old.revision:
        return new.revision > old.revision
    return new.model_dump_json() > old.model_dump_json()


def _latest(facts: dict[str, Any], key: str, payload: Any) -> None:
    if key not in facts or _better(payload, facts[key]):
        facts[key] = payload


def _earliest(days: dict[str, date], key: str, day: date) -> None:
    days[key] = min(days.get(key, day), day)


def _started(start: date | None, end: date | None, d: date) -> bool:
    return (start is None or start <= d) and (end is None or d < end)


def recompute(
    events: list[Any], region: str, d: date, providers: frozenset[str] = frozenset({"cnppm"})
) -> dict[Key, tuple[int, int]]:
    """(numerator, denominator) per indicator and scope, and ("E1max", "region", region)."""
    counts, _ = _recompute(events, region, d, providers, 250.0)
    return counts


def recompute_extras(
    events: list[Any], region: str, d: date, providers: frozenset[str] = frozenset({"cnppm"}), e1_cap: float = 250
) -> dict[str, float]:
    """What E1 and I2 show beside their ratio at region scope: `without_methodist`,
    `methodists_missing`, `max_load`, and `source:<system>` per source of routes."""
    return _recompute(events, region, d, providers, e1_cap)[1]


def _recompute(
    events: list[Any], region: str, d: date, providers: frozenset[str], e1_cap: float
) -> tuple[dict[Key, tuple[int, int]], dict[str, float]]:
    orgs: dict[str, Any] = {}
    educators: dict[str, Any] = {}
    programs: dict[str, Any] = {}
    staff: dict[str, Any] = {}
    teams: dict[str, Any] = {}
    cnppm: dict[str, Any] = {}
    roadmap: dict[str, Any] = {}
    staff_left: dict[str, date] = {}
    cnppm_left: dict[str, date] = {}
    team_end: dict[str, date] = {}
    periods: dict[str, list[Any]] = defaultdict(list)
    register: dict[str, list[Any]] = defaultdict(list)
    statuses: dict[str, list[Any]] = defaultdict(list)
    moves: dict[str, list[Any]] = defaultdict(list)
    left: dict[str, date] = {}
    diagnoses: dict[str, Any] = {}
    routes: dict[str, Any] = {}
    outside: dict[str, Any] = {}
    closed: dict[str, date] = {}
    completions: dict[str, list[Any]] = defaultdict(list)
    forms: dict[str, Any] = {}
    attachments: dict[str, Any] = {}
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
            _earliest(left, p.educator_id, p.left_on)
        elif t == "ProgramRegistered":
            _latest(programs, p.program_id, p)
        elif t == "ProgramImplementationReported":
            periods[p.program_id].append(p)
        elif t == "ProgramRegisterStatusChanged":
            register[p.program_id].append(p)
        elif t == "SupportStaffRegistered":
            _latest(staff, p.staff_id, p)
        elif t == "SupportStaffDeparted":
            _earliest(staff_left, p.staff_id, p.left_on)
        elif t == "ManagementTeamRegistered":
            _latest(teams, p.team_id, p)
        elif t == "ManagementTeamDissolved":
            _earliest(team_end, p.team_id, p.dissolved_on)
        elif t == "CnppmStaffRegistered":
            _latest(cnppm, p.staff_id, p)
        elif t == "CnppmStaffDeparted":
            _earliest(cnppm_left, p.staff_id, p.left_on)
        elif t == "CnppmStaffTrainedByFederalOperator":
            trained[p.staff_id].append(p.trained_on)
        elif t == "RoadmapItemUpdated":
            _latest(roadmap, p.item_id, p)
        elif t == "RoadmapItemStatusChanged":
            statuses[p.item_id].append(p)
        elif t == "DeficitDiagnosed":
            diagnoses[p.diagnosis_id] = p
        elif t == "RouteAssigned":
            routes[p.route_id] = p
        elif t == "ExternalRouteReported":
            _latest(outside, p.route_id, p)
        elif t in ("RouteCompleted", "RouteCancelled"):
            _earliest(closed, p.route_id, p.closed_on)
        elif t == "ProgramCompletionAccepted":
            completions[p.educator_id].append(p)
        elif t == "SupportFormReported":
            _latest(forms, p.support_id, p)
        elif t == "MethodistAttachmentReported":
            _latest(attachments, p.attachment_id, p)
        elif t == "TeamCompletionAccepted":
            team_done[p.team_id].append(p)

    counts: Counter = Counter()

    def add(ind: str, scopes: list[tuple[str, str]], num: bool) -> None:
        for kind, sid in scopes:
            counts[(ind, kind, sid, "den")] += 1
            if num:
                counts[(ind, kind, sid, "num")] += 1

    def placement(eid: str, reg: Any) -> tuple[str, str]:
        options = [(reg.registered_on, 0, reg.organization_id, reg.municipality_id)]
        options += [
            (m.transferred_on, 1, m.organization_id, m.municipality_id) for m in moves[eid] if m.transferred_on <= d
        ]
        best = max(options)
        return best[2], best[3]

    def active(eid: str) -> bool:
        reg = educators.get(eid)
        return reg is not None and reg.registered_on <= d and not (eid in left and left[eid] <= d)

    def employed(s: Any, ended: dict[str, date], key: str) -> bool:
        return s.active and _started(s.employed_from, ended.get(key), d)

    def in_register(pid: str, day: date) -> bool:
        prog = programs[pid]
        changes = [(c.effective, c.status == "excluded") for c in register[pid]]
        if prog.register_from is not None:
            changes.append((prog.register_from, False))
        if prog.register_to is not None:
            changes.append((prog.register_to + timedelta(days=1), True))
        known = [c for c in changes if c[0] <= day]
        return bool(known) and not max(known)[1]

    def implemented(pid: str) -> bool:
        started = [x for x in periods[pid] if x.period_from <= d]
        return any(d <= x.period_to for x in started) if started else programs[pid].implemented

    routes_of: dict[str, list[Any]] = defaultdict(list)
    for r in routes.values():
        routes_of[r.educator_id].append(r)
    outside_of: dict[str, list[Any]] = defaultdict(list)
    for r in outside.values():
        outside_of[r.educator_id].append(r)
    dx_of: dict[str, list[Any]] = defaultdict(list)
    for x in diagnoses.values():
        dx_of[x.educator_id].append(x)
    forms_of: dict[str, list[Any]] = defaultdict(list)
    for f in forms.values():
        forms_of[f.educator_id].append(f)
    links_of: dict[str, list[Any]] = defaultdict(list)
    for a in attachments.values():
        links_of[a.educator_id].append(a)

    methodists = {k: v for k, v in staff.items() if v.kind == "methodist" and employed(v, staff_left, k)}
    load: Counter[str] = Counter()
    without: Counter = Counter()
    sources: Counter[str] = Counter()
    for eid, reg in educators.items():
        if not active(eid):
            continue
        org, muni = placement(eid, reg)
        scopes = [("region", region), ("municipality", muni), ("organization", org)]
        add("I1", scopes, any(x.diagnosed_on <= d and x.conducted_by in providers for x in dx_of[eid]))
        mine = [r for r in routes_of[eid] if r.assigned_on <= d]
        theirs = [r for r in outside_of[eid] if r.developed_on <= d]
        add("I2", scopes, bool(mine or theirs))
        for src in ({"platform"} if mine else set()) | {r.source_system for r in theirs}:
            sources[src] += 1
        if reg.role != "teacher":
            continue
        ok = False
        for c in completions[eid]:
            if c.completed_on > d or c.program_id not in programs:
                continue
            selected = any(
                r.assigned_on <= c.completed_on
                and any(i.kind == "program" and i.program_id == c.program_id for i in r.items)
                for r in mine
            )
            ok = ok or (selected and in_register(c.program_id, c.completed_on))
        add("I3", scopes, ok)
        if d.year - reg.birth_year < 35 and reg.career_start <= d < _plus_three_years(reg.career_start):
            supported = False
            for f in forms_of[eid]:
                running = f.started_on <= d and (f.ended_on is None or d <= f.ended_on)
                who = f.supporter_id
                real = (
                    who is not None
                    and who != eid
                    and ((who in staff and employed(staff[who], staff_left, who)) or active(who))
                )
                supported = supported or (f.confirmed and running and real)
            add("I5", scopes, supported)
        attached = {
            a.methodist_id
            for a in links_of[eid]
            if a.confirmed
            and a.attached_from <= d
            and (a.attached_to is None or d <= a.attached_to)
            and a.methodist_id in methodists
        }
        if attached:
            counts[("E1", "region", region, "num")] += 1
            counts[("E1", "municipality", muni, "num")] += 1
            load.update(attached)
        else:
            without[("region", region)] += 1
            without[("municipality", muni)] += 1
    for m in methodists.values():
        counts[("E1", "region", region, "den")] += 1
        counts[("E1", "municipality", m.municipality_id, "den")] += 1
    for kind, sid in without:
        counts[("E1", kind, sid, "den")] += 0

    quality = {pid for pid, p in programs.items() if p.topic == "education_quality_management"}
    for tid, tm in teams.items():
        if not _started(tm.formed_on, team_end.get(tid), d):
            continue
        scopes = [("region", region), ("municipality", tm.municipality_id), ("organization", tm.organization_id)]
        finished = [c for c in team_done[tid] if c.completed_on <= d]
        add("I4", scopes, any(c.program_id in quality for c in finished))
        add("I4R", scopes, bool(finished))
    for pid, p in programs.items():
        if not implemented(pid):
            continue
        scopes = [("region", region)]
        if p.provider_id in orgs:
            scopes += [("municipality", orgs[p.provider_id].municipality_id), ("organization", p.provider_id)]
        add("I6", scopes, in_register(pid, d))
    for sid, st in cnppm.items():
        if employed(st, cnppm_left, sid):
            add("E2", [("region", region), ("organization", st.organization_id)], any(x <= d for x in trained[sid]))
    for iid, it in roadmap.items():
        known = [(c.effective, STATUS_RANK[c.status], c.status) for c in statuses[iid]]
        if it.status == "done" and it.completed_on is not None:
            known += [(date.min, 1, "in_progress"), (it.completed_on, 2, "done")]
        else:
            known.append((date.min, STATUS_RANK[it.status], it.status))
        now = [k for k in known if k[0] <= d]
        if not now:
            continue
        status = max(now)[2]
        if status != "cancelled":
            add("RM", [("region", region)], status == "done")

    result: dict[Key, tuple[int, int]] = {}
    for (ind, kind, sid, part), n in counts.items():
        num, den = result.get((ind, kind, sid), (0, 0))
        result[(ind, kind, sid)] = (num + n, den) if part == "num" else (num, den + n)
    teachers = result.get(("E1", "region", region), (0, 0))[0] + without[("region", region)]
    have = result.get(("E1", "region", region), (0, 0))[1]
    result[("E1max", "region", region)] = (max(load.values(), default=0), 0)
    extras = {
        "max_load": float(max(load.values(), default=0)),
        "without_methodist": float(without[("region", region)]),
        "methodists_missing": float(max(0, math.ceil(teachers / e1_cap) - have)),
        **{f"source:{src}": float(n) for src, n in sources.items()},
    }
    return result, extras
