"""The registry's current state: what it holds per entity (highest revision, content hash,
departure date) in memory, persisted as an append-only journal of the facts it accepted.

Each batch appends one entry per accepted fact (`rsnms_runtime.journal`, collection `facts`):
`{k: "<collection>|<region>:<entity id>", seq, rev, hash, left_on, type, event_id, data}`,
where `seq` counts the entity's entries, so the entity's state is the entry with the highest
`seq` whatever order the journal is read in. The state is read back whole on start and when
the consumer is assigned partitions (`reload`): another instance may have accepted facts of
them. `entity()` gives an operator (and the tests) the stored view of one entity.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from contracts import Event
from rsnms_runtime.journal import Journal
from rsnms_runtime.logging import get_logger
from services.registry.domain.rules import Stored

log = get_logger(__name__)

COLLECTIONS: dict[str, str] = {
    "OrganizationRegistered": "organizations",
    "EducatorRegistered": "educators",
    "EducatorMoved": "educators",
    "EducatorDeparted": "educators",
    "ProgramRegistered": "programs",
    "SupportStaffRegistered": "support_staff",
    "ManagementTeamRegistered": "management_teams",
    "CnppmStaffRegistered": "cnppm_staff",
    "CnppmStaffTrainedByFederalOperator": "cnppm_staff",
    "RoadmapItemUpdated": "roadmap",
    "SupportStaffDeparted": "support_staff",
    "CnppmStaffDeparted": "cnppm_staff",
    "ManagementTeamDissolved": "management_teams",
    "OrganizationClosed": "organizations",
    "ProgramImplementationReported": "programs",
    "ProgramRegisterStatusChanged": "programs",
    "RoadmapItemStatusChanged": "roadmap",
    "SupportFormReported": "support_forms",
    "MethodistAttachmentReported": "methodist_attachments",
    "ExternalRouteReported": "external_routes",
}


def _scoped_id(event: Event) -> str:
    return f"{event.region}:{event.key}"


def _flat(key: tuple[str, str]) -> str:
    return f"{key[0]}|{key[1]}"


class RegistryStore:
    def __init__(self, db: AsyncDatabase):
        self._journal = Journal(db["facts"])
        self._state: dict[tuple[str, str], tuple[int, Stored]] | None = None

    async def reload(self) -> None:
        """Read the journal back whole (start-up, partitions assigned). It is never compacted:
        its entries are the entities' history (an operator's view, `entity`)."""
        state: dict[tuple[str, str], tuple[int, Stored]] = {}
        async for e in self._journal.entries():
            collection, _, scoped = e["k"].partition("|")
            known = state.get((collection, scoped))
            if known is None or known[0] < e["seq"]:
                left = e.get("left_on")
                state[(collection, scoped)] = (
                    e["seq"],
                    Stored(e["rev"], e["hash"], date.fromisoformat(left) if left else None),
                )
        self._state = state
        log.info("registry_state_loaded", entities=len(state))

    async def load(self, events: Iterable[Event]) -> dict[tuple[str, str], Stored]:
        if self._state is None:
            await self.reload()
        assert self._state is not None
        out: dict[tuple[str, str], Stored] = {}
        for e in events:
            key = self.key(e)
            found = self._state.get(key)
            if found is not None:
                out[key] = found[1]
        return out

    @staticmethod
    def key(event: Event) -> tuple[str, str]:
        return COLLECTIONS[event.event_type], _scoped_id(event)

    async def save(self, accepted: Iterable[tuple[Event, Stored]]) -> None:
        """Journal the accepted facts (the use case decided they change the registry) with the
        entity's state after each (`rules.after`, as the use case worked it out), one insert per
        batch; then hold that state."""
        if self._state is None:
            await self.reload()
        assert self._state is not None
        entries, changed = [], dict[tuple[str, str], tuple[int, Stored]]()
        for e, stored in accepted:
            key = self.key(e)
            seq, _ = changed.get(key) or self._state.get(key) or (0, None)
            seq += 1
            changed[key] = (seq, stored)
            entries.append(
                {
                    "k": _flat(key),
                    "seq": seq,
                    "rev": stored.revision,
                    "hash": stored.content_hash,
                    "left_on": stored.left_on.isoformat() if stored.left_on else None,
                    "type": e.event_type,
                    "event_id": str(e.event_id),
                    "data": e.payload.model_dump(mode="json"),
                }
            )
        await self._journal.append(entries)
        self._state.update(changed)

    async def entity(self, collection: str, region: str, entity_id: str) -> dict[str, Any] | None:
        """The stored view of one entity, from its journal entries: the latest revision's data,
        its revision and hash, the departure date, transfers, federal trainings and the other
        additive facts (`history`)."""
        k = f"{collection}|{region}:{entity_id}"
        found = sorted([e async for e in self._journal.entries() if e["k"] == k], key=lambda e: e["seq"])
        if not found:
            return None
        view: dict[str, Any] = {
            "_id": f"{region}:{entity_id}",
            "region": region,
            "transfers": [],
            "trainings": [],
            "history": [],
        }
        for e in found:
            view.update(revision=e["rev"], content_hash=e["hash"], left_on=e["left_on"])
            if e["type"] == "EducatorMoved":
                view["transfers"].append(e["data"])
            elif e["type"] == "CnppmStaffTrainedByFederalOperator":
                view["trainings"].append(e["data"])
            elif "revision" in e["data"]:
                view.update(data=e["data"], event_id=e["event_id"])
            elif e["type"] != "EducatorDeparted":  # other additive facts dated in the world
                view["history"].append(e["data"])
        return view
