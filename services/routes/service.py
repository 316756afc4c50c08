"""Use case of the routes service: deficits, registry facts and provider progress in;
routes (`RouteAssigned`, `RouteCompleted`, `RouteCancelled`), proposals of supporters
(`SupportProposed`) and the acceptance of progress (`ProgramCompletionAccepted`,
`TeamCompletionAccepted`) out, on Topic.ROUTES, in the region of the input. This service owns the
decision whether reported progress is valid: the indicators count only what it accepted, and
what it refuses is dead-lettered here alone.

A batch is folded in memory: catalogue facts first (so a program published in the same
batch as a diagnosis is already offered, and a supporter who left is no longer proposed), then each educator's events in arrival order
(events of one educator share a partition, so they arrive in order). The state is read
once per batch (one query per collection and region, the methodist and mentor loads
counted by the database) and written once: one document per touched educator file, then
the route views. Events applied before (a redelivered batch) re-emit what they emitted.
Progress naming an unknown route is refused (dead-lettered), not applied; so is held progress
refused once the registration arrives (dead-lettered then, with the position it was read at).
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Protocol

from contracts import (
    ActivityCompleted,
    DeficitDiagnosed,
    EducatorDeparted,
    EducatorMoved,
    EducatorRegistered,
    Event,
    ProgramCompleted,
    ProgramEnrolled,
    ProgramRecorded,
    ProgramRegistered,
    StaffLeft,
    SupportStaffDeparted,
    SupportStaffRecorded,
    SupportStaffRegistered,
    TeamCompletionAccepted,
    TeamProgramCompleted,
    topic_of,
)
from rsnms_runtime.kafka import Incoming, Outcome
from rsnms_runtime.logging import get_logger
from services.routes.domain.config import RoutePolicy
from services.routes.domain.educator import SOURCE, Catalogue, EducatorFile, Loads, Refused

log = get_logger(__name__)

EDUCATOR_EVENTS = (
    EducatorRegistered,
    EducatorMoved,
    EducatorDeparted,
    DeficitDiagnosed,
    ProgramEnrolled,
    ProgramCompleted,
    ActivityCompleted,
)

#: events applied between two turns of the event loop: a full batch takes seconds of CPU, and the
#: Kafka consumer's heartbeats run on the same loop (held up past the session timeout, the group
#: drops the member)
TURN_EVERY = 250

#: what the service acts on; every other kind on its topics is passed over undecoded
HANDLED = frozenset(
    c.model_fields["event_type"].default
    for c in (
        *EDUCATOR_EVENTS,
        ProgramRegistered,
        SupportStaffRegistered,
        SupportStaffDeparted,
        TeamProgramCompleted,
    )
)


class Store(Protocol):
    """What the use case needs from persistence (RoutesStore, or a fake in tests)."""

    async def files(self, keys: list[str]) -> dict[str, EducatorFile]: ...
    async def catalogue(self, region: str) -> Catalogue: ...
    async def loads(self, region: str) -> Loads: ...
    async def save_catalogue(
        self,
        region: str,
        programs: list[ProgramRecorded],
        staff: list[SupportStaffRecorded],
        departures: list[StaffLeft] | None = None,
    ) -> None: ...
    async def save_files(self, files: list[EducatorFile]) -> None: ...


def file_key(event: Event) -> str:
    return f"{event.region}:{event.key}"


def held_input(event: Event, origin: str | None) -> Incoming:
    """A held event refused once the registration arrived, as the input it was: where it was
    read (`topic:partition:offset`; -1 when an older file did not keep it) and its bytes as
    the platform encodes it (the original message is at that position)."""
    topic, partition, offset = (origin or f"{topic_of(event)}:-1:-1").rsplit(":", 2)
    return Incoming(event, topic, int(partition), int(offset), event.to_bytes())


def accept_team_progress(batch: list[Incoming]) -> list[TeamCompletionAccepted]:
    """A management team's completion is accepted as reported (the source gate checked who may
    report it); announcing it keeps one decision per fact for the indicators."""
    return [
        TeamCompletionAccepted.create(
            inc.event.payload, source=SOURCE, region=inc.event.region, occurred_at=inc.event.occurred_at
        )
        for inc in batch
        if isinstance(inc.event, TeamProgramCompleted)
    ]


class RoutesService:
    def __init__(self, store: Store, policy: RoutePolicy | None = None, titles: dict[str, str] | None = None):
        self._store = store
        self._policy = policy or RoutePolicy()
        self._titles = titles or {}
        #: what the consumer says went through, per partition (`BatchConsumer.published`, set by
        #: the composition root once the consumer exists): what the files kept to emit again for
        #: causes read before it is forgotten. Not the batch's own offsets: a batch split to find
        #: a message it fails on is applied in parts, and all of them are published after the last
        self.published: Mapping[tuple[str, int], int] = {}
        #: per region, loaded on first use: the catalogue (dropped when facts change it) and
        #: the loads (kept up to date by the routes this instance assigns; rebuilt after a
        #: failed batch). Reading them per batch means a scan of every educator file, which
        #: on FerretDB v1 costs seconds per batch.
        self._catalogues: dict[str, Catalogue] = {}
        self._loads: dict[str, Loads] = {}

    async def handle(self, batch: list[Incoming]) -> Outcome:
        outcome = Outcome()
        await self._save_catalogue(batch)
        outcome.emit.extend(accept_team_progress(batch))
        incoming = [inc for inc in batch if isinstance(inc.event, EDUCATOR_EVENTS)]
        if not incoming:
            return outcome
        files = await self._store.files(sorted({file_key(i.event) for i in incoming}))
        regions = sorted({i.event.region for i in incoming})
        for r in regions:
            if r not in self._catalogues:
                self._catalogues[r] = await self._store.catalogue(r)
            if r not in self._loads:
                self._loads[r] = await self._store.loads(r)
        catalogues, loads = self._catalogues, self._loads
        for file in files.values():
            file.settle(self.published)
        try:
            touched: dict[str, EducatorFile] = {}
            emitted: Counter[str] = Counter()
            for n, inc in enumerate(incoming, 1):
                if n % TURN_EVERY == 0:
                    await asyncio.sleep(0)
                event, key = inc.event, file_key(inc.event)
                file = files.get(key) or EducatorFile(region=event.region, educator_id=event.key)
                replay = file.has_applied(str(event.event_id))
                try:
                    out = file.apply(
                        event,
                        catalogues[event.region],
                        loads[event.region],
                        self._policy,
                        self._titles,
                        origin=f"{inc.topic}:{inc.partition}:{inc.offset}",
                    )
                except Refused as exc:
                    outcome.rejected.append((inc, str(exc)))
                    continue
                outcome.rejected.extend((held_input(e, where), why) for e, why, where in file.take_refused())
                files[key] = file
                if not replay:
                    touched[key] = file
                outcome.emit.extend(out)
                emitted.update(e.event_type for e in out)
            await self._store.save_files(list(touched.values()))
        except Exception:
            self._loads.clear()  # the batch is redelivered: count again from what was stored
            raise
        if emitted or outcome.rejected:
            log.info("routes_batch", files_written=len(touched), refused=len(outcome.rejected), **dict(emitted))
        return outcome

    async def _save_catalogue(self, batch: list[Incoming]) -> None:
        programs: dict[str, list[ProgramRecorded]] = defaultdict(list)
        staff: dict[str, list[SupportStaffRecorded]] = defaultdict(list)
        departures: dict[str, list[StaffLeft]] = defaultdict(list)
        for inc in batch:
            e = inc.event
            if isinstance(e, ProgramRegistered):
                programs[e.region].append(e.payload)
            elif isinstance(e, SupportStaffRegistered):
                staff[e.region].append(e.payload)
            elif isinstance(e, SupportStaffDeparted):
                departures[e.region].append(e.payload)
        for region in sorted(set(programs) | set(staff) | set(departures)):
            await self._store.save_catalogue(region, programs[region], staff[region], departures[region])
            self._catalogues.pop(region, None)
