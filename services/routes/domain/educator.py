"""The educator's file in the routes service (aggregate root): profile, routes with their
lifecycle, completed programs and activities, the support form, and the events emitted
for each input event (the outbox), all kept in one document so that applying an event and
remembering what it emitted is one atomic write. A redelivered event re-emits exactly the
stored events; nothing is assigned twice.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, Field

from contracts import (
    ActivityCompleted, DeficitDiagnosed, EducatorDeparted, EducatorMoved, EducatorRecorded, EducatorRegistered,
    Event, ProgramCompleted, ProgramEnrolled, ProgramRecorded, Route, RouteAssigned, RouteCancelled, RouteClosure,
    RouteCompleted, Support, SupportAssigned, SupportStaffRecorded, decode_event,
)
from contracts.calendar import add_years
from services.routes.domain.builder import build_route, choose_supporter
from services.routes.domain.config import RoutePolicy
from services.routes.domain.lifecycle import Lifecycle, Transition

SOURCE = "rsnms-routes"
OUTBOX_LIMIT = 64


class RouteRecord(BaseModel):
    route: Route
    history: list[dict[str, Any]]
    enrolled: list[str] = Field(default_factory=list)

    def lifecycle(self) -> Lifecycle:
        return Lifecycle([Transition(h["status"], date.fromisoformat(h["on"]), h["reason"]) for h in self.history])

    def move(self, status: str, on: date, reason: str) -> None:
        life = self.lifecycle()
        life.move(status, on, reason)  # type: ignore[arg-type]
        self.history = [{"status": t.status, "on": t.on.isoformat(), "reason": t.reason} for t in life.history]

    @property
    def status(self) -> str:
        return self.history[-1]["status"]


class Catalogue(BaseModel):
    """What the routes service knows of the region's programs and support staff."""

    programs: dict[str, ProgramRecorded] = Field(default_factory=dict)
    staff: dict[str, SupportStaffRecorded] = Field(default_factory=dict)


class Loads(BaseModel):
    """Educators currently carried by each methodist (active routes) and mentor (supports)."""

    methodist: dict[str, int] = Field(default_factory=dict)
    mentor: dict[str, int] = Field(default_factory=dict)


class EducatorFile(BaseModel):
    region: str
    educator_id: str
    profile: EducatorRecorded | None = None
    municipality_id: str | None = None
    left_on: date | None = None
    routes: list[RouteRecord] = Field(default_factory=list)
    completions: dict[str, date] = Field(default_factory=dict)
    activities: list[tuple[str, str | None, date]] = Field(default_factory=list)
    support: Support | None = None
    outbox: list[tuple[str, list[str]]] = Field(default_factory=list)

    # -- queries -----------------------------------------------------------------
    def emitted_for(self, event_id: str) -> list[Event] | None:
        for cause, events in self.outbox:
            if cause == event_id:
                return [decode_event(e) for e in events]
        return None

    def active_route(self) -> RouteRecord | None:
        return next((r for r in self.routes if r.status == "active"), None)

    def is_young_teacher(self, on: date, policy: RoutePolicy) -> bool:
        p = self.profile
        if p is None or p.role != "teacher":
            return False
        ends = add_years(p.career_start, policy.young_years)
        return on.year - p.birth_year < policy.young_age_limit and p.career_start <= on < ends

    # -- commands ------------------------------------------------------------------
    def apply(self, event: Event, catalogue: Catalogue, loads: Loads, policy: RoutePolicy) -> list[Event]:
        """Apply one event; return (and remember) the events it causes."""
        previous = self.emitted_for(str(event.event_id))
        if previous is not None:
            return previous
        out: list[Event] = []
        if isinstance(event, EducatorRegistered):
            out = self._registered(event, catalogue, loads, policy)
        elif isinstance(event, EducatorMoved):
            self.municipality_id = event.payload.municipality_id
        elif isinstance(event, EducatorDeparted):
            out = self._left(event, loads)
        elif isinstance(event, DeficitDiagnosed):
            out = self._diagnosed(event, catalogue, loads, policy)
        elif isinstance(event, ProgramEnrolled):
            route = self._route(event.payload.route_id)
            if route is not None and event.payload.program_id not in route.enrolled:
                route.enrolled.append(event.payload.program_id)
        elif isinstance(event, ProgramCompleted):
            day = event.payload.completed_on
            self.completions[event.payload.program_id] = min(self.completions.get(event.payload.program_id, day), day)
            out = self._maybe_completed(event, loads)
        elif isinstance(event, ActivityCompleted):
            p = event.payload
            self.activities.append((p.activity_kind, p.item_id, p.completed_on))
            out = self._maybe_completed(event, loads)
        self.outbox = [*self.outbox, (str(event.event_id), [e.model_dump_json() for e in out])][-OUTBOX_LIMIT:]
        return out

    def _new(self, cls: type[Event], payload: Any, like: Event) -> Event:
        return cls.create(payload, source=SOURCE, region=self.region, occurred_at=like.occurred_at)

    def _route(self, route_id: str | None) -> RouteRecord | None:
        if route_id is None:
            return self.active_route()
        return next((r for r in self.routes if r.route.route_id == route_id), None)

    def _registered(self, event: EducatorRegistered, catalogue: Catalogue, loads: Loads,
                    policy: RoutePolicy) -> list[Event]:
        p = event.payload
        if self.profile is not None and self.profile.revision >= p.revision:
            return []
        first = self.profile is None
        self.profile = p
        if first or self.municipality_id is None:
            self.municipality_id = p.municipality_id
        if self.support is not None or not self.is_young_teacher(p.registered_on, policy):
            return []
        mentor = choose_supporter(catalogue.staff.values(), "mentor", loads.mentor, 10_000, self.municipality_id)
        if mentor:
            loads.mentor[mentor] = loads.mentor.get(mentor, 0) + 1
        until = add_years(p.career_start, policy.young_years) - timedelta(days=1)
        self.support = Support(support_id=f"sup-{p.educator_id}", educator_id=p.educator_id, form="mentoring",
                               mentor_id=mentor, assigned_on=p.registered_on, until=until)
        return [self._new(SupportAssigned, self.support, event)]

    def _close(self, record: RouteRecord, status: str, on: date, reason: str, like: Event, loads: Loads) -> Event:
        record.move(status, on, reason)
        m = record.route.methodist_id
        if m and loads.methodist.get(m, 0) > 0:
            loads.methodist[m] -= 1
        cls = RouteCompleted if status == "completed" else RouteCancelled
        return self._new(cls, RouteClosure(route_id=record.route.route_id, educator_id=self.educator_id,
                                           closed_on=on, reason=reason), like)

    def _left(self, event: EducatorDeparted, loads: Loads) -> list[Event]:
        self.left_on = event.payload.left_on
        active = self.active_route()
        if active is None:
            return []
        return [self._close(active, "cancelled", event.payload.left_on, "педагог выбыл из системы", event, loads)]

    def _diagnosed(self, event: DeficitDiagnosed, catalogue: Catalogue, loads: Loads,
                   policy: RoutePolicy) -> list[Event]:
        dx = event.payload
        out: list[Event] = []
        active = self.active_route()
        if active is not None:
            if not dx.deficits:
                return [self._close(active, "completed", dx.diagnosed_on,
                                    f"дефициты закрыты по итогам диагностики {dx.diagnosis_id}", event, loads)]
            out.append(self._close(active, "cancelled", dx.diagnosed_on,
                                   f"заменён маршрутом по диагностике {dx.diagnosis_id}", event, loads))
        if not dx.deficits or self.left_on is not None:
            return out
        methodist = choose_supporter(catalogue.staff.values(), "methodist", loads.methodist,
                                     policy.methodist_max_load, self.municipality_id)
        route = build_route(dx, catalogue.programs.values(),
                            {pid for pid, day in self.completions.items() if day <= dx.diagnosed_on},
                            policy.budget_hours, self.is_young_teacher(dx.diagnosed_on, policy), methodist)
        record = RouteRecord(route=route, history=[])
        record.history = [{"status": "draft", "on": dx.diagnosed_on.isoformat(),
                           "reason": f"построен по диагностике {dx.diagnosis_id}"}]
        record.move("active", dx.diagnosed_on, "назначен педагогу")
        if methodist:
            loads.methodist[methodist] = loads.methodist.get(methodist, 0) + 1
        self.routes.append(record)
        out.append(self._new(RouteAssigned, route, event))
        out.extend(self._maybe_completed(event, loads))
        return out

    def _maybe_completed(self, cause: Event, loads: Loads) -> list[Event]:
        """A route completes when every program item is completed and every informal item done."""
        active = self.active_route()
        if active is None:
            return []
        days: list[date] = []
        for item in active.route.items:
            if item.kind == "program":
                day = self.completions.get(item.program_id or "")
                if day is None:
                    return []
                days.append(day)
            else:
                done = [d for kind, iid, d in self.activities
                        if kind == item.kind and (iid is None or iid == item.item_id)]
                if not done:
                    return []
                days.append(min(done))
        if not days:
            return []
        on = max(max(days), active.route.assigned_on)
        return [self._close(active, "completed", on, "все элементы маршрута освоены", cause, loads)]
