"""Use case of the routes service: deficits, registry facts and provider progress in;
routes (`RouteAssigned`, `RouteCompleted`, `RouteCancelled`) and support forms
(`SupportAssigned`) out.

A batch is folded in memory: catalogue facts first (so a program published in the same
batch as a diagnosis is already offered), then each educator's events in arrival order;
one write per touched educator file, then the route views.
"""

from __future__ import annotations

from collections import defaultdict

from contracts import (
    ActivityCompleted, DeficitDiagnosed, EducatorDeparted, EducatorMoved, EducatorRegistered, Event,
    ProgramCompleted, ProgramEnrolled, ProgramRecorded, ProgramRegistered, SupportStaffRecorded,
    SupportStaffRegistered,
)
from rsnms_runtime.kafka import Incoming, Outcome
from services.routes.adapters.store import RoutesStore
from services.routes.domain.config import RoutePolicy
from services.routes.domain.educator import Catalogue, EducatorFile, Loads

EDUCATOR_EVENTS = (EducatorRegistered, EducatorMoved, EducatorDeparted, DeficitDiagnosed, ProgramEnrolled,
                   ProgramCompleted, ActivityCompleted)


class RoutesService:
    def __init__(self, store: RoutesStore, policy: RoutePolicy):
        self._store = store
        self._policy = policy
        #: load per region, rebuilt from the store on first use after a start
        self._loads: dict[str, Loads] = {}

    async def handle(self, batch: list[Incoming]) -> Outcome:
        programs: dict[str, list[ProgramRecorded]] = defaultdict(list)
        staff: dict[str, list[SupportStaffRecorded]] = defaultdict(list)
        educator_events: list[Event] = []
        for inc in batch:
            e = inc.event
            if isinstance(e, ProgramRegistered):
                programs[e.region].append(e.payload)
            elif isinstance(e, SupportStaffRegistered):
                staff[e.region].append(e.payload)
            elif isinstance(e, EDUCATOR_EVENTS):
                educator_events.append(e)
        for region in set(programs) | set(staff):
            await self._store.save_catalogue(region, programs[region], staff[region])

        outcome = Outcome()
        if not educator_events:
            return outcome
        keys = [f"{e.region}:{e.key}" for e in educator_events]
        files = await self._store.files(keys)
        catalogues: dict[str, Catalogue] = {}
        touched: dict[str, EducatorFile] = {}
        try:
            for event, key in zip(educator_events, keys, strict=True):
                region = event.region
                if region not in catalogues:
                    catalogues[region] = await self._store.catalogue(region)
                if region not in self._loads:
                    self._loads[region] = await self._store.loads(region)
                file = files.get(key) or EducatorFile(region=region, educator_id=event.key)
                files[key] = touched[key] = file
                outcome.emit.extend(file.apply(event, catalogues[region], self._loads[region], self._policy))
            await self._store.save_files(touched.values())
        except Exception:
            self._loads.clear()  # the batch will be redelivered: loads are rebuilt from what was stored
            raise
        return outcome
