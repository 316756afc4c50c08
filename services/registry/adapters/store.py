"""MongoDB store of the registry's current state: one collection per kind of entity,
one document per entity (`_id` = entity id), written once per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from contracts import Event
from rsnms_runtime.mongo import Upsert, write_each
from services.registry.domain.rules import Stored

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


class RegistryStore:
    def __init__(self, db: AsyncDatabase):
        self._db = db

    async def load(self, events: Iterable[Event]) -> dict[tuple[str, str], Stored]:
        wanted: dict[str, set[str]] = defaultdict(set)
        for e in events:
            wanted[COLLECTIONS[e.event_type]].add(_scoped_id(e))
        found: dict[tuple[str, str], Stored] = {}
        for collection, ids in wanted.items():
            async for doc in self._db[collection].find({"_id": {"$in": list(ids)}}):
                left = doc.get("left_on")
                found[(collection, doc["_id"])] = Stored(
                    revision=doc.get("revision", 0),
                    content_hash=doc.get("content_hash", ""),
                    left_on=date.fromisoformat(left) if left else None,
                )
        return found

    @staticmethod
    def key(event: Event) -> tuple[str, str]:
        return COLLECTIONS[event.event_type], _scoped_id(event)

    async def save(self, events: Iterable[Event]) -> None:
        """Persist accepted facts (the use case already decided they are newer).

        Every write is addressed by `_id` alone: FerretDB v1 scans a collection for any
        other filter, so a revision guard in the filter would make each write O(collection).
        History entries are idempotent ($addToSet), so a replayed batch changes nothing.
        """
        ops: dict[str, list[Upsert]] = defaultdict(list)
        for e in events:
            collection, _id = self.key(e)
            data: dict[str, Any] = e.payload.model_dump(mode="json")
            base = {"region": e.region}
            if e.event_type == "EducatorMoved":
                update = {"$addToSet": {"transfers": data}, "$setOnInsert": {**base, "revision": 0}}
            elif e.event_type == "EducatorDeparted":
                update = {"$set": {"left_on": data["left_on"], **base}, "$setOnInsert": {"revision": 0}}
            elif e.event_type == "CnppmStaffTrainedByFederalOperator":
                update = {"$addToSet": {"trainings": data}, "$setOnInsert": {**base, "revision": 0}}
            elif "revision" not in data:  # other additive facts dated in the world: a set of them
                update = {"$addToSet": {"history": data}, "$setOnInsert": {**base, "revision": 0}}
            else:
                update = {
                    "$set": {
                        **base,
                        "revision": data["revision"],
                        "content_hash": e.content_hash(),
                        "data": data,
                        "event_id": str(e.event_id),
                    }
                }
            ops[collection].append(Upsert({"_id": _id}, update))
        for collection, batch in ops.items():
            await write_each(self._db[collection], batch)

    async def get(self, collection: str, region: str, entity_id: str) -> dict[str, Any] | None:
        return await self._db[collection].find_one({"_id": f"{region}:{entity_id}"})
