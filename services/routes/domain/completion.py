"""When a route is done.

A route completes when every program item has a `ProgramCompleted` of that program by the
educator, and every informal item an `ActivityCompleted` of its kind: one naming this route
(and the item, when it names an item), or one naming no route, dated on or after the
assignment, whose item id (when given) is the item's. The completion date is the latest of
those dates. A repeat diagnosis also settles a route: its deficits are closed when every
competency the route addresses was assessed again and is no longer a deficit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ConfigDict

from contracts import Diagnosis, Route, RouteItem


class ProgramDone(BaseModel):
    model_config = ConfigDict(frozen=True)
    program_id: str
    route_id: str | None = None
    completed_on: date


class ActivityDone(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: str
    item_id: str | None = None
    route_id: str | None = None
    completed_on: date


def activity_counts(done: ActivityDone, route: Route, item: RouteItem) -> bool:
    if done.kind != item.kind or (done.item_id is not None and done.item_id != item.item_id):
        return False
    if done.route_id is not None:
        return done.route_id == route.route_id
    return done.completed_on >= route.assigned_on


def program_counts(done: ProgramDone, route: Route, item: RouteItem) -> bool:
    return done.program_id == item.program_id and done.route_id in (None, route.route_id)


def item_done_on(
    route: Route, item: RouteItem, programs: Iterable[ProgramDone], activities: Iterable[ActivityDone]
) -> date | None:
    """The first day the item was done, or None."""
    if item.kind == "program":
        days = [p.completed_on for p in programs if program_counts(p, route, item)]
    else:
        days = [a.completed_on for a in activities if activity_counts(a, route, item)]
    return min(days, default=None)


def completed_on(route: Route, programs: Iterable[ProgramDone], activities: Iterable[ActivityDone]) -> date | None:
    """The day the route was completed, or None while an item is still open."""
    programs, activities = list(programs), list(activities)
    days: list[date] = []
    for item in route.items:
        day = item_done_on(route, item, programs, activities)
        if day is None:
            return None
        days.append(day)
    if not days:
        return None
    return max(*days, route.assigned_on)


def route_competencies(route: Route) -> set[str]:
    return {c for item in route.items for c in item.covers} | set(route.uncovered)


def deficits_closed(route: Route, diagnosis: Diagnosis) -> bool:
    """Every deficit the route addresses was re-assessed and is no longer a deficit."""
    competencies = route_competencies(route)
    still_open = {d.competency for d in diagnosis.deficits}
    return bool(competencies) and all(c in diagnosis.scores and c not in still_open for c in competencies)
