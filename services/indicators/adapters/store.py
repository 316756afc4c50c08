"""MongoDB store of the indicators service.

`entities`: one document per folded entity (`_id` = region|kind|id) holding its whole
state, so a batch persists with one replace per touched entity (idempotent, single-document).
Lists hold objects, never arrays: FerretDB v1 does not store nested arrays.
`positions`: the next Kafka offset per topic-partition folded into `entities`.
`indicator_tables`: the live table per region. `passport_snapshots`: immutable, versioned
(`_id` = region:version, insert-only).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts import (
    CnppmStaffRecorded, EducatorRecorded, IndicatorTable, KafkaPosition, ManagementTeamRecorded,
    OrganizationRecorded, PassportSnapshot, ProgramRecorded, RoadmapItemRecorded, SupportStaffRecorded,
)
from services.indicators.domain.state import EducatorFacts, RegionState

FACT_KINDS: dict[str, tuple[str, type]] = {
    "organization": ("organizations", OrganizationRecorded),
    "program": ("programs", ProgramRecorded),
    "staff": ("staff", SupportStaffRecorded),
    "team": ("teams", ManagementTeamRecorded),
    "cnppm_staff": ("cnppm_staff", CnppmStaffRecorded),
    "roadmap": ("roadmap", RoadmapItemRecorded),
}


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def encode(state: RegionState, kind: str, eid: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"_id": f"{state.region}|{kind}|{eid}", "region": state.region, "kind": kind, "id": eid}
    if kind == "educator":
        f = state.educators[eid]
        doc.update(
            registration=f.registration.model_dump(mode="json") if f.registration else None,
            moves=[{"on": d.isoformat(), "org": o, "muni": m} for d, o, m in sorted(f.moves)],
            left_on=f.left_on.isoformat() if f.left_on else None,
            diagnoses=[{"id": i, "on": d.isoformat()} for i, d in sorted(f.diagnoses.items())],
            routes=[{"id": i, "on": a.isoformat(), "methodist": m, "programs": list(p)}
                    for i, (a, m, p) in sorted(f.routes.items())],
            closed=[{"id": i, "on": d.isoformat()} for i, d in sorted(f.closed.items())],
            completions=[{"program": p, "on": d.isoformat()} for p, d in sorted(f.completions)],
            supports=[{"id": i, "on": a.isoformat(), "until": u.isoformat() if u else None}
                      for i, (a, u) in sorted(f.supports.items())],
        )
        return doc
    attr, _ = FACT_KINDS[kind]
    fact = getattr(state, attr).get(eid)
    doc["data"] = fact.model_dump(mode="json") if fact is not None else None
    if kind == "team":
        doc["completions"] = [{"program": p, "on": d.isoformat()} for p, d in sorted(state.team_completions.get(eid, ()))]
    if kind == "cnppm_staff":
        doc["trainings"] = sorted(d.isoformat() for d in state.trainings.get(eid, ()))
    return doc


def decode_into(state: RegionState, doc: dict[str, Any]) -> None:
    kind, eid = doc["kind"], doc["id"]
    if kind == "educator":
        state.educators[eid] = EducatorFacts(
            registration=EducatorRecorded.model_validate(doc["registration"]) if doc.get("registration") else None,
            moves={(date.fromisoformat(x["on"]), x["org"], x["muni"]) for x in doc.get("moves", [])},
            left_on=_d(doc.get("left_on")),
            diagnoses={x["id"]: date.fromisoformat(x["on"]) for x in doc.get("diagnoses", [])},
            routes={x["id"]: (date.fromisoformat(x["on"]), x["methodist"], tuple(x["programs"]))
                    for x in doc.get("routes", [])},
            closed={x["id"]: date.fromisoformat(x["on"]) for x in doc.get("closed", [])},
            completions={(x["program"], date.fromisoformat(x["on"])) for x in doc.get("completions", [])},
            supports={x["id"]: (date.fromisoformat(x["on"]), _d(x["until"])) for x in doc.get("supports", [])},
        )
        return
    attr, model = FACT_KINDS[kind]
    if doc.get("data") is not None:
        getattr(state, attr)[eid] = model.model_validate(doc["data"])
    if kind == "team" and doc.get("completions"):
        state.team_completions[eid] = {(x["program"], date.fromisoformat(x["on"])) for x in doc["completions"]}
    if kind == "cnppm_staff" and doc.get("trainings"):
        state.trainings[eid] = {date.fromisoformat(d) for d in doc["trainings"]}


class IndicatorStore:
    def __init__(self, db: AsyncDatabase):
        self._entities = db["entities"]
        self._positions = db["positions"]
        self._tables = db["indicator_tables"]
        self._snapshots = db["passport_snapshots"]

    async def ensure_indexes(self) -> None:
        await self._snapshots.create_index([("region", ASCENDING), ("version", DESCENDING)])

    async def load(self) -> tuple[dict[str, RegionState], dict[tuple[str, int], int]]:
        states: dict[str, RegionState] = {}
        async for doc in self._entities.find({}, batch_size=5000):
            region = doc["region"]
            decode_into(states.setdefault(region, RegionState(region)), doc)
        positions = {(d["topic"], d["partition"]): d["offset"] async for d in self._positions.find({})}
        return states, positions

    async def save(self, states: dict[str, RegionState], touched: Iterable[tuple[str, str, str]],
                   positions: dict[tuple[str, int], int]) -> None:
        """Persist the touched entities, then the positions they include (one write each)."""
        ops = [ReplaceOne({"_id": f"{r}|{k}|{i}"}, encode(states[r], k, i), upsert=True) for r, k, i in touched]
        for start in range(0, len(ops), 2000):
            await self._entities.bulk_write(ops[start:start + 2000], ordered=False)
        if positions:
            await self._positions.bulk_write([
                ReplaceOne({"_id": f"{t}|{p}"}, {"_id": f"{t}|{p}", "topic": t, "partition": p, "offset": o},
                           upsert=True) for (t, p), o in positions.items()], ordered=False)

    async def save_table(self, table: IndicatorTable) -> None:
        doc = table.model_dump(mode="json")
        await self._tables.replace_one({"_id": table.region}, {"_id": table.region, **doc}, upsert=True)

    async def latest_snapshot(self, region: str) -> PassportSnapshot | None:
        doc = await self._snapshots.find_one({"region": region}, sort=[("version", DESCENDING)])
        return PassportSnapshot.model_validate(doc["snapshot"]) if doc else None

    async def insert_snapshot(self, snapshot: PassportSnapshot) -> bool:
        """Insert-only: False when this version already exists (another writer took it)."""
        try:
            await self._snapshots.insert_one({"_id": snapshot.snapshot_id, "region": snapshot.region,
                                              "version": snapshot.version,
                                              "snapshot": snapshot.model_dump(mode="json")})
        except DuplicateKeyError:
            return False
        return True

    @staticmethod
    def positions_of(positions: dict[tuple[str, int], int]) -> list[KafkaPosition]:
        return [KafkaPosition(topic=t, partition=p, offset=o) for (t, p), o in positions.items()]
