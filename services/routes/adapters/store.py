"""MongoDB store of the routes service (FerretDB v1 compatible: single-document writes, no
transactions, no $lookup, only $match/$group/$sum aggregation, no keys with '.' or '$').

Collections of the service's database:
- `educators`: one document per educator file (`_id` = "<region>:<educator id>") holding its
  state and outbox, replaced whole: one atomic write per educator per batch. `region`,
  `active_methodist` and `mentor` are lifted to the top for the load counts.
- `programs`, `staff`: the region's catalogue (`_id` = "<region>:<id>"), highest `revision`
  wins whatever the arrival order (insert-if-missing, then a conditional `$set`).
- `routes`: a read view of every route (`_id` = route id): status, append-only history,
  methodist and items with their status; rewritten from the educator files.
"""

from __future__ import annotations

from collections.abc import Iterable

from pymongo.asynchronous.database import AsyncDatabase

from contracts import ProgramRecorded, SupportStaffRecorded
from rsnms_runtime.mongo import Upsert, replacing, set_if_newer, write_each
from services.routes.domain.educator import Catalogue, EducatorFile, Loads


def file_key(region: str, educator_id: str) -> str:
    return f"{region}:{educator_id}"


def file_document(file: EducatorFile) -> dict:
    """The `educators` document of one file (lists hold objects: FerretDB v1 has no nested arrays)."""
    active = file.active_route()
    key = file_key(file.region, file.educator_id)
    return {
        "_id": key,
        "region": file.region,
        "active_methodist": active.route.methodist_id if active else None,
        "mentor": file.support.mentor_id if file.support else None,
        "file": file.model_dump(mode="json"),
    }


def catalogue_document(item: ProgramRecorded | SupportStaffRecorded) -> dict:
    """The `$set` of a catalogue entry: its revision and the fact itself."""
    return {"revision": item.revision, "data": item.model_dump(mode="json")}


def route_view(file: EducatorFile) -> list[dict]:
    """The `routes` documents of one educator file."""
    views = []
    for r in file.routes:
        route = r.route.model_dump(mode="json")
        items = [{**item, "status": file.item_status(r, item["item_id"])} for item in route.pop("items")]
        views.append(
            {
                **route,
                "_id": r.route.route_id,
                "region": file.region,
                "status": r.status,
                "history": [h.model_dump(mode="json") for h in r.history],
                "items": items,
                "enrolled": list(r.enrolled),
            }
        )
    return views


class RoutesStore:
    def __init__(self, db: AsyncDatabase):
        self._educators = db["educators"]
        self._programs = db["programs"]
        self._staff = db["staff"]
        self._routes = db["routes"]

    async def ensure_indexes(self) -> None:
        await self._educators.create_index([("region", 1), ("active_methodist", 1)])
        await self._educators.create_index([("region", 1), ("mentor", 1)])
        await self._programs.create_index("region")
        await self._staff.create_index("region")
        await self._routes.create_index([("region", 1), ("educator_id", 1)])
        await self._routes.create_index([("region", 1), ("status", 1)])

    async def files(self, keys: Iterable[str]) -> dict[str, EducatorFile]:
        ids = list(set(keys))
        if not ids:
            return {}
        return {
            d["_id"]: EducatorFile.model_validate(d["file"])
            async for d in self._educators.find({"_id": {"$in": ids}}, {"file": 1})
        }

    async def catalogue(self, region: str) -> Catalogue:
        programs = {
            d["data"]["program_id"]: ProgramRecorded.model_validate(d["data"])
            async for d in self._programs.find({"region": region, "revision": {"$gt": 0}}, {"data": 1})
        }
        staff = {
            d["data"]["staff_id"]: SupportStaffRecorded.model_validate(d["data"])
            async for d in self._staff.find({"region": region, "revision": {"$gt": 0}}, {"data": 1})
        }
        return Catalogue(programs=programs, staff=staff)

    async def _count(self, region: str, field: str) -> dict[str, int]:
        pipeline = [
            {"$match": {"region": region, field: {"$ne": None}}},
            {"$group": {"_id": f"${field}", "n": {"$sum": 1}}},
        ]
        cursor = await self._educators.aggregate(pipeline)
        return {d["_id"]: int(d["n"]) async for d in cursor}

    async def loads(self, region: str) -> Loads:
        """Active routes per methodist and support forms per mentor, counted from the files."""
        return Loads(
            methodist=await self._count(region, "active_methodist"), mentor=await self._count(region, "mentor")
        )

    async def save_catalogue(
        self, region: str, programs: list[ProgramRecorded], staff: list[SupportStaffRecorded]
    ) -> None:
        for collection, items, key in ((self._programs, programs, "program_id"), (self._staff, staff, "staff_id")):
            newest: dict[str, dict] = {}
            for item in items:
                _id = f"{region}:{getattr(item, key)}"
                if _id not in newest or newest[_id]["revision"] < item.revision:
                    newest[_id] = {"region": region, **catalogue_document(item)}
            await set_if_newer(collection, newest, "revision")

    async def save_files(self, files: Iterable[EducatorFile]) -> None:
        files = list(files)
        if not files:
            return
        ops: list[Upsert] = []
        views: list[Upsert] = []
        for f in files:
            doc = file_document(f)
            ops.append(replacing({"_id": doc["_id"]}, doc))
            views.extend(replacing({"_id": v["_id"]}, v) for v in route_view(f))
        await write_each(self._educators, ops)
        await write_each(self._routes, views)
