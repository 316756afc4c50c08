"""The educator's file in the routes service (aggregate root): profile and placement, routes
with their lifecycle, completed programs and activities, and the events
emitted for each input event (the outbox), all in one document, so that applying an event
and remembering what it emitted is one atomic write. A redelivered event re-emits exactly
the stored events (same ids, same content); nothing is assigned twice.

Events about an educator the registry has not confirmed yet (diagnoses and progress before
`EducatorRegistered`; moves and departures are facts kept as they come) are held in the file,
in arrival order, and applied in that order right after the registration, as if they had
arrived after it: the route then knows the municipality (methodist) and whether a young
teacher is proposed a mentor. The platform never opens a support form itself: it proposes a
mentor or methodist (`SupportProposed`, with the reason), which counts for nothing until the
school reports a confirmed form. An accepted `ProgramCompleted` is announced
(`ProgramCompletionAccepted`) so that the indicators follow this service's decision. Held progress naming a route not built yet waits for the diagnosis
that builds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from contracts import (
    ActivityCompleted,
    DeficitDiagnosed,
    EducatorDeparted,
    EducatorMoved,
    EducatorRecorded,
    EducatorRegistered,
    Event,
    ProgramCompleted,
    ProgramCompletionAccepted,
    ProgramEnrolled,
    ProgramRecorded,
    Proposal,
    Route,
    RouteAssigned,
    RouteCancelled,
    RouteClosure,
    RouteCompleted,
    Support,
    SupportProposed,
    SupportStaffRecorded,
    decode_event,
)
from services.routes.domain.builder import Programs, build_route, route_id_for
from services.routes.domain.completion import ActivityDone, ProgramDone, completed_on, deficits_closed, item_done_on
from services.routes.domain.config import RoutePolicy
from services.routes.domain.lifecycle import Lifecycle, Status, Transition
from services.routes.domain.support import is_young_teacher
from services.routes.domain.supporters import Choice, propose_supporter

SOURCE = "rsnms-routes"
#: events about an educator that wait for the educator's registration
HELD_UNTIL_REGISTERED = (DeficitDiagnosed, ProgramEnrolled, ProgramCompleted, ActivityCompleted)
#: input events whose outputs an educator file remembers (older ones are forgotten; the
#: commands stay idempotent on their own: a route per diagnosis, one support form)
OUTBOX_LIMIT = 16


class Refused(ValueError):
    """An input the domain will not apply; the message says why (it is dead-lettered)."""


@dataclass
class Catalogue:
    """What the routes service knows of the region's programs and support staff (read only:
    the service builds a new one when catalogue facts arrive); the lookups it answers are
    indexed on first use."""

    programs: dict[str, ProgramRecorded] = field(default_factory=dict)
    staff: dict[str, SupportStaffRecorded] = field(default_factory=dict)
    #: support staff known to have left (or to leave), with the earliest date reported
    departed: dict[str, date] = field(default_factory=dict)
    _by_place: dict[tuple[str, str | None], list[SupportStaffRecorded]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _offered: Programs | None = field(default=None, init=False, repr=False, compare=False)

    def offered(self) -> Programs:
        """The programs as the route builder looks them up."""
        if self._offered is None:
            self._offered = Programs.of(self.programs.values())
        return self._offered

    def staff_of(self, kind: str, municipality: str | None = None) -> list[SupportStaffRecorded]:
        """The staff members of a kind (of a municipality, when given)."""
        if self._by_place is None:
            index: dict[tuple[str, str | None], list[SupportStaffRecorded]] = {}
            for s in self.staff.values():
                index.setdefault((s.kind, None), []).append(s)
                index.setdefault((s.kind, s.municipality_id), []).append(s)
            self._by_place = index
        return self._by_place.get((kind, municipality), [])

    def propose(
        self, kind: str, load: dict[str, int], max_load: int | None, municipality: str | None, on: date
    ) -> Choice:
        """`propose_supporter` among this catalogue's staff of the kind."""
        return propose_supporter(
            self.staff_of(kind),
            kind,
            load,
            max_load,
            municipality,
            on,
            self.departed,
            nearby=self.staff_of(kind, municipality) if municipality is not None else None,
        )


class Loads(BaseModel):
    """Educators currently carried by each methodist (active routes) and mentor (support forms)."""

    methodist: dict[str, int] = Field(default_factory=dict)
    mentor: dict[str, int] = Field(default_factory=dict)

    @staticmethod
    def bump(counter: dict[str, int], staff_id: str | None, by: int) -> None:
        if staff_id:
            counter[staff_id] = max(0, counter.get(staff_id, 0) + by)


class HistoryEntry(BaseModel):
    status: Status
    on: date
    reason: str


class RouteRecord(BaseModel):
    """A route with its append-only status history and the programs enrolled in."""

    route: Route
    history: list[HistoryEntry] = Field(default_factory=list)
    enrolled: list[str] = Field(default_factory=list)

    @classmethod
    def assigned(cls, route: Route, reason: str) -> RouteRecord:
        """Created as a draft and activated at once; both steps stay in the history."""
        life = Lifecycle.drafted(route.assigned_on, reason)
        life.move("active", route.assigned_on, "назначен педагогу")
        return cls(route=route, history=[HistoryEntry(status=t.status, on=t.on, reason=t.reason) for t in life.history])

    def move(self, status: Status, on: date, reason: str) -> None:
        """Append a transition; an illegal one raises `IllegalTransition` and changes nothing."""
        life = Lifecycle([Transition(h.status, h.on, h.reason) for h in self.history])
        life.move(status, on, reason)
        self.history = [*self.history, HistoryEntry(status=status, on=on, reason=reason)]

    @property
    def status(self) -> Status:
        return self.history[-1].status if self.history else "draft"


class Placement(BaseModel):
    """Where the educator works from a date on (registration or transfer)."""

    on: date
    transfer: bool
    organization_id: str
    municipality_id: str


class OutboxEntry(BaseModel):
    cause: str
    events: list[str]
    #: where the cause was read (`topic:partition:offset`), for `settle`; None in older files
    at: str | None = None

    def read_before(self, offsets: Mapping[tuple[str, int], int]) -> bool:
        """Whether the cause was read on a partition of `offsets` before the offset given for it."""
        if self.at is None:
            return False
        topic, partition, offset = self.at.rsplit(":", 2)
        below = offsets.get((topic, int(partition)))
        return below is not None and int(offset) < below


class EducatorFile(BaseModel):
    region: str
    educator_id: str
    profile: EducatorRecorded | None = None
    transfers: list[Placement] = Field(default_factory=list)
    left_on: date | None = None
    routes: list[RouteRecord] = Field(default_factory=list)
    programs_done: list[ProgramDone] = Field(default_factory=list)
    activities: list[ActivityDone] = Field(default_factory=list)
    #: a support form opened by an earlier version of the service (kept for old files; read by nothing)
    support: Support | None = None
    #: a mentor was proposed once for this educator's first years
    mentor_proposed: bool = False
    outbox: list[OutboxEntry] = Field(default_factory=list)
    #: events that arrived before the educator's registration (JSON, arrival order)
    held: list[str] = Field(default_factory=list)
    #: held events refused once the registration arrived (why), for the operators
    dropped: list[str] = Field(default_factory=list)
    #: where each held event was read (an opaque origin the service gave, by event id), so that
    #: one refused later is dead-lettered with its position
    held_from: dict[str, str] = Field(default_factory=dict)
    #: held events refused by the last `apply` (event, reason, origin), until `take_refused`
    _refused: list[tuple[Event, str, str | None]] = PrivateAttr(default_factory=list)

    # -- queries -----------------------------------------------------------------
    def has_applied(self, event_id: str) -> bool:
        return any(e.cause == event_id for e in self.outbox)

    def emitted_for(self, event_id: str) -> list[Event] | None:
        for entry in self.outbox:
            if entry.cause == event_id:
                return [decode_event(e) for e in entry.events]
        return None

    def active_route(self) -> RouteRecord | None:
        return next((r for r in self.routes if r.status == "active"), None)

    def route(self, route_id: str) -> RouteRecord | None:
        return next((r for r in self.routes if r.route.route_id == route_id), None)

    @property
    def municipality_id(self) -> str | None:
        """The municipality of the latest placement (a transfer beats a registration on the same day)."""
        places = list(self.transfers)
        if self.profile is not None:
            p = self.profile
            places.append(
                Placement(
                    on=p.registered_on,
                    transfer=False,
                    organization_id=p.organization_id,
                    municipality_id=p.municipality_id,
                )
            )
        if not places:
            return None
        return max(places, key=lambda x: (x.on, x.transfer, x.organization_id)).municipality_id

    def item_status(self, record: RouteRecord, item_id: str) -> str:
        """planned, enrolled or completed (for the route view)."""
        item = next(i for i in record.route.items if i.item_id == item_id)
        if item_done_on(record.route, item, self.programs_done, self.activities) is not None:
            return "completed"
        if item.kind == "program" and item.program_id in record.enrolled:
            return "enrolled"
        return "planned"

    # -- commands ------------------------------------------------------------------
    def apply(
        self,
        event: Event,
        catalogue: Catalogue,
        loads: Loads,
        policy: RoutePolicy,
        titles: dict[str, str] | None = None,
        origin: str | None = None,
    ) -> list[Event]:
        """Apply one event; return (and remember) the events it causes.

        An event applied before returns the events it caused then. An event the domain
        refuses raises `Refused` before anything changes. `origin`: where the event was read,
        kept while it is held (see `take_refused`).
        """
        previous = self.emitted_for(str(event.event_id))
        if previous is not None:
            return previous
        if self.profile is None and isinstance(event, HELD_UNTIL_REGISTERED):
            out = self._hold(event, origin)
        else:
            self._check(event)
            out = self._apply(event, catalogue, loads, policy, titles)
            if isinstance(event, (EducatorRegistered, DeficitDiagnosed)) and self.held:
                out = [*out, *self._release(catalogue, loads, policy, titles)]
        entry = OutboxEntry(cause=str(event.event_id), events=[e.model_dump_json() for e in out], at=origin)
        self.outbox = [*self.outbox, entry][-OUTBOX_LIMIT:]
        return out

    def settle(self, published: Mapping[tuple[str, int], int]) -> None:
        """Forget the events emitted for causes read where what they emitted is known to be
        published: `published` gives, per partition, the offset below which it is (the service
        has it from its consumer). They need not be emitted again; the causes stay known
        (`has_applied`: a cause that comes again emits nothing). The events of a batch that may
        come again are kept."""
        settled = [
            OutboxEntry(cause=e.cause, events=[], at=e.at) if e.events and e.read_before(published) else e
            for e in self.outbox
        ]
        if any(a is not b for a, b in zip(settled, self.outbox, strict=True)):
            self.outbox = settled

    def _hold(self, event: Event, origin: str | None) -> list[Event]:
        if all(decode_event(h).event_id != event.event_id for h in self.held):
            self.held = [*self.held, event.model_dump_json()]
            if origin is not None:
                self.held_from = {**self.held_from, str(event.event_id): origin}
        return []

    def take_refused(self) -> list[tuple[Event, str, str | None]]:
        """The held events the last `apply` refused (event, reason, where it was read), once.

        Asked after every event, and almost always empty: read through `__pydantic_private__`,
        as pydantic's own attribute access to a private attribute costs microseconds (it looks
        for a descriptor on the attribute's default, and fails with an exception)."""
        private = self.__pydantic_private__
        refused: list[tuple[Event, str, str | None]] = (private.get("_refused") if private else None) or []
        if refused:
            self._refused = []
        return refused

    def _waits_for_route(self, event: Event) -> bool:
        route_id = event.payload.value_of("route_id")
        return isinstance(event, HELD_UNTIL_REGISTERED[1:]) and route_id is not None and self.route(route_id) is None

    def _release(
        self, catalogue: Catalogue, loads: Loads, policy: RoutePolicy, titles: dict[str, str] | None
    ) -> list[Event]:
        """Apply the held events in arrival order, progress once the route it names exists (a
        diagnosis held or yet to come builds it); one the domain refuses now is dropped (and
        kept in `dropped` with the reason, and given back by `take_refused` to be dead-lettered)."""
        out: list[Event] = []
        progressed = True
        while progressed:
            progressed, waiting = False, []
            for raw in self.held:
                event = decode_event(raw)
                if self._waits_for_route(event):
                    waiting.append(raw)
                    continue
                progressed = True
                origin = self.held_from.get(str(event.event_id))
                self.held_from = {k: v for k, v in self.held_from.items() if k != str(event.event_id)}
                try:
                    self._check(event)
                except Refused as exc:
                    self.dropped = [*self.dropped, f"{event.event_type} {event.event_id}: {exc}"]
                    self._refused.append((event, str(exc), origin))
                    continue
                out.extend(self._apply(event, catalogue, loads, policy, titles))
            self.held = waiting
        return out

    def _apply(
        self, event: Event, catalogue: Catalogue, loads: Loads, policy: RoutePolicy, titles: dict[str, str] | None
    ) -> list[Event]:
        out: list[Event] = []
        if isinstance(event, EducatorRegistered):
            out = self._registered(event, catalogue, loads, policy)
        elif isinstance(event, EducatorMoved):
            p = event.payload
            place = Placement(
                on=p.transferred_on, transfer=True, organization_id=p.organization_id, municipality_id=p.municipality_id
            )
            if place not in self.transfers:
                self.transfers.append(place)
        elif isinstance(event, EducatorDeparted):
            out = self._departed(event, loads)
        elif isinstance(event, DeficitDiagnosed):
            out = self._diagnosed(event, catalogue, loads, policy, titles or {})
        elif isinstance(event, ProgramEnrolled):
            self._enrolled(event)
        elif isinstance(event, ProgramCompleted):
            c = event.payload
            done = ProgramDone(program_id=c.program_id, route_id=c.route_id, completed_on=c.completed_on)
            if done not in self.programs_done:
                self.programs_done.append(done)
            out = [self._new(ProgramCompletionAccepted, c, event), *self._maybe_completed(event, loads)]
        elif isinstance(event, ActivityCompleted):
            a = event.payload
            act = ActivityDone(
                kind=a.activity_kind, item_id=a.item_id, route_id=a.route_id, completed_on=a.completed_on
            )
            if act not in self.activities:
                self.activities.append(act)
            out = self._maybe_completed(event, loads)
        return out

    def _check(self, event: Event) -> None:
        """Progress naming a route must name one of this educator's routes (and an item of it)."""
        if not isinstance(event, (ProgramEnrolled, ProgramCompleted, ActivityCompleted)):
            return
        route_id = event.payload.route_id
        if route_id is None:
            return
        record = self.route(route_id)
        if record is None:
            raise Refused(f"{event.event_type}: route {route_id} is not a route of this educator")
        if isinstance(event, ActivityCompleted) and event.payload.item_id is not None:
            p = event.payload
            if not any(i.item_id == p.item_id and i.kind == p.activity_kind for i in record.route.items):
                raise Refused(f"ActivityCompleted: route {route_id} has no {p.activity_kind} item {p.item_id}")

    def _new(self, cls: type[Event], payload: Any, like: Event) -> Event:
        return cls.create(payload, source=SOURCE, region=self.region, occurred_at=like.occurred_at)

    def _registered(
        self, event: EducatorRegistered, catalogue: Catalogue, loads: Loads, policy: RoutePolicy
    ) -> list[Event]:
        p = event.payload
        if self.profile is not None and self.profile.revision >= p.revision:
            return []
        self.profile = p
        if self.mentor_proposed or self.support is not None:
            return []
        if self.left_on is not None and self.left_on <= p.registered_on:
            return []
        if not is_young_teacher(p, p.registered_on, policy):
            return []
        choice = catalogue.propose("mentor", loads.mentor, None, self.municipality_id, p.registered_on)
        Loads.bump(loads.mentor, choice.staff_id, 1)
        self.mentor_proposed = True
        proposal = Proposal(
            educator_id=self.educator_id,
            role="mentor",
            staff_id=choice.staff_id,
            proposed_on=p.registered_on,
            reason=f"молодой педагог в первые годы работы: {choice.reason}",
        )
        return [self._new(SupportProposed, proposal, event)]

    def _close(self, record: RouteRecord, status: Status, on: date, reason: str, like: Event, loads: Loads) -> Event:
        record.move(status, on, reason)
        Loads.bump(loads.methodist, record.route.methodist_id, -1)
        cls = RouteCompleted if status == "completed" else RouteCancelled
        return self._new(
            cls,
            RouteClosure(route_id=record.route.route_id, educator_id=self.educator_id, closed_on=on, reason=reason),
            like,
        )

    def _departed(self, event: EducatorDeparted, loads: Loads) -> list[Event]:
        left = event.payload.left_on
        self.left_on = left if self.left_on is None else min(self.left_on, left)
        active = self.active_route()
        if active is None:
            return []
        return [
            self._close(
                active, "cancelled", max(left, active.route.assigned_on), "педагог выбыл из системы", event, loads
            )
        ]

    def _diagnosed(
        self, event: DeficitDiagnosed, catalogue: Catalogue, loads: Loads, policy: RoutePolicy, titles: dict[str, str]
    ) -> list[Event]:
        dx = event.payload
        if self.route(route_id_for(dx.diagnosis_id)) is not None:
            return []  # this diagnosis already has its route
        if self.left_on is not None and self.left_on <= dx.diagnosed_on:
            return []  # no routes for an educator who left
        active = self.active_route()
        if active is not None and dx.diagnosed_on < active.route.assigned_on:
            return []  # an older diagnosis than the active route's: it changes nothing
        out: list[Event] = []
        if active is not None:
            if deficits_closed(active.route, dx):
                out.append(
                    self._close(
                        active,
                        "completed",
                        dx.diagnosed_on,
                        f"дефициты закрыты по итогам диагностики {dx.diagnosis_id}",
                        event,
                        loads,
                    )
                )
            elif dx.deficits:
                out.append(
                    self._close(
                        active,
                        "cancelled",
                        dx.diagnosed_on,
                        f"заменён маршрутом по диагностике {dx.diagnosis_id}",
                        event,
                        loads,
                    )
                )
        if not dx.deficits:
            return out
        choice = catalogue.propose(
            "methodist", loads.methodist, policy.methodist_max_load, self.municipality_id, dx.diagnosed_on
        )
        methodist = choice.staff_id
        completed = {d.program_id for d in self.programs_done if d.completed_on <= dx.diagnosed_on}
        route = build_route(
            dx,
            catalogue.offered(),
            completed,
            policy.budget_hours,
            is_young_teacher(self.profile, dx.diagnosed_on, policy),
            methodist,
            titles,
        )
        self.routes.append(RouteRecord.assigned(route, f"построен по диагностике {dx.diagnosis_id}"))
        Loads.bump(loads.methodist, methodist, 1)
        out.append(self._new(RouteAssigned, route, event))
        proposal = Proposal(
            educator_id=self.educator_id,
            role="methodist",
            staff_id=methodist,
            route_id=route.route_id,
            proposed_on=dx.diagnosed_on,
            reason=f"методист для ИОМ: {choice.reason}",
        )
        out.append(self._new(SupportProposed, proposal, event))
        out.extend(self._maybe_completed(event, loads))
        return out

    def _enrolled(self, event: ProgramEnrolled) -> None:
        p = event.payload
        record = self.route(p.route_id) if p.route_id else self.active_route()
        if record is None or p.program_id in record.enrolled:
            return
        if any(i.kind == "program" and i.program_id == p.program_id for i in record.route.items):
            record.enrolled.append(p.program_id)

    def _maybe_completed(self, cause: Event, loads: Loads) -> list[Event]:
        active = self.active_route()
        if active is None:
            return []
        day = completed_on(active.route, self.programs_done, self.activities)
        if day is None:
            return []
        return [self._close(active, "completed", day, "все элементы маршрута освоены", cause, loads)]
