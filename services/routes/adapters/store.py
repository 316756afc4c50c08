"""MongoDB store of the routes service.

`educators`: one document per educator file (`_id` = region:educator id) holding its state
and outbox: one atomic write per educator per batch. `programs` and `staff`: the
region's catalogue, highest revision wins. `routes`: a lookup view of every route (status,
history, methodist), rewritten from the educator files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pymongo import ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from contracts import ProgramRecorded, SupportStaffRecorded
from services.routes.domain.educator import Catalogue, EducatorFile, Loads


class RoutesStore:
    def __init__(self, db: AsyncDatabase):
        self._educators = db["educators"]
        self._programs = db["programs"]
        self._staff = db["staff"]
        self._routes = db["routes"]

    async def ensure_indexes(self) -> None:
        await self._educators.create_index([("region", 1), ("active_methodist", 1)])
        await self._programs.create_index("region")
        await self._staff.create_index("region")

    async def files(self, keys: Iterable[str]) -> dict[str, EducatorFile]:
        return {d["_id"]: EducatorFile.model_validate(d["file"])
                async for d in self._educators.find({"_id": {"$in": list(set(keys))}}, {"file": 1})}

    async def catalogue(self, region: str) -> Catalogue:
        programs = {d["data"]["program_id"]: ProgramRecorded.model_validate(d["data"])
                    async for d in self._programs.find({"region": region})}
        staff = {d["data"]["staff_id"]: SupportStaffRecorded.model_validate(d["data"])
                 async for d in self._staff.find({"region": region})}
        return Catalogue(programs=programs, staff=staff)

    async def loads(self, region: str) -> Loads:
        """Rebuilt from the educator files: active routes per methodist, supports per mentor."""
        methodist: Counter[str] = Counter()
        mentor: Counter[str] = Counter()
        query = {"region": region, "$or": [{"active_methodist": {"$ne": None}}, {"mentor": {"$ne": None}}]}
        async for d in self._educators.find(query, {"active_methodist": 1, "mentor": 1}):
            if d.get("active_methodist"):
                methodist[d["active_methodist"]] += 1
            if d.get("mentor"):
                mentor[d["mentor"]] += 1
        return Loads(methodist=dict(methodist), mentor=dict(mentor))

    async def save_catalogue(self, region: str, programs: list[ProgramRecorded],
                             staff: list[SupportStaffRecorded]) -> None:
        for collection, items, key in ((self._programs, programs, "program_id"), (self._staff, staff, "staff_id")):
            ops = []
            for item in items:
                _id = f"{region}:{getattr(item, key)}"
                ops.append(UpdateOne({"_id": _id}, {"$setOnInsert": {"revision": 0, "region": region}}, upsert=True))
                ops.append(UpdateOne({"_id": _id, "revision": {"$lt": item.revision}},
                                     {"$set": {"revision": item.revision, "data": item.model_dump(mode="json")}}))
            if ops:
                await collection.bulk_write(ops, ordered=True)

    async def save_files(self, files: Iterable[EducatorFile]) -> None:
        files = list(files)
        if not files:
            return
        ops, views = [], []
        for f in files:
            active = f.active_route()
            ops.append(ReplaceOne({"_id": f"{f.region}:{f.educator_id}"}, {
                "_id": f"{f.region}:{f.educator_id}", "region": f.region,
                "active_methodist": active.route.methodist_id if active else None,
                "mentor": f.support.mentor_id if f.support else None,
                "file": f.model_dump(mode="json")}, upsert=True))
            for r in f.routes:
                views.append(ReplaceOne({"_id": r.route.route_id}, {
                    "_id": r.route.route_id, "region": f.region, "educator_id": f.educator_id, "status": r.status,
                    "methodist_id": r.route.methodist_id, "history": r.history,
                    "route": r.route.model_dump(mode="json")}, upsert=True))
        await self._educators.bulk_write(ops, ordered=False)
        if views:
            await self._routes.bulk_write(views, ordered=False)
