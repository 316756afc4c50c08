"""MongoDB store of the diagnostics service.

`diagnoses`: one document per diagnosis (`_id` = diagnosis id) with the emitted event, so a
redelivered session re-emits exactly what was emitted the first time.
`educators`: per educator (`_id` = region:educator id) the history of {on, id} entries,
grown with $addToSet: idempotent, single-document writes (objects: FerretDB v1 stores no
nested arrays).
"""

from __future__ import annotations

from collections.abc import Iterable

from pymongo import ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from contracts import DeficitDiagnosed, Diagnosis, decode_event


class DiagnosisStore:
    def __init__(self, db: AsyncDatabase):
        self._diagnoses = db["diagnoses"]
        self._educators = db["educators"]

    async def emitted(self, diagnosis_ids: Iterable[str]) -> dict[str, DeficitDiagnosed]:
        ids = list(set(diagnosis_ids))
        found: dict[str, DeficitDiagnosed] = {}
        async for doc in self._diagnoses.find({"_id": {"$in": ids}}, {"event": 1}):
            event = decode_event(doc["event"])
            assert isinstance(event, DeficitDiagnosed)
            found[doc["_id"]] = event
        return found

    async def histories(self, keys: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """educator key -> [(diagnosed_on ISO, diagnosis id)]"""
        return {d["_id"]: [(x["on"], x["id"]) for x in d.get("history", [])]
                async for d in self._educators.find({"_id": {"$in": list(set(keys))}})}

    async def diagnoses(self, diagnosis_ids: Iterable[str]) -> dict[str, Diagnosis]:
        ids = list(set(diagnosis_ids))
        if not ids:
            return {}
        return {d["_id"]: Diagnosis.model_validate(d["diagnosis"])
                async for d in self._diagnoses.find({"_id": {"$in": ids}}, {"diagnosis": 1})}

    async def save(self, events: list[DeficitDiagnosed]) -> None:
        if not events:
            return
        await self._diagnoses.bulk_write([
            ReplaceOne({"_id": e.payload.diagnosis_id},
                       {"_id": e.payload.diagnosis_id, "region": e.region, "educator_id": e.payload.educator_id,
                        "diagnosis": e.payload.model_dump(mode="json"), "event": e.model_dump_json()}, upsert=True)
            for e in events], ordered=False)
        await self._educators.bulk_write([
            UpdateOne({"_id": f"{e.region}:{e.payload.educator_id}"},
                      {"$addToSet": {"history": {"on": e.payload.diagnosed_on.isoformat(), "id": e.payload.diagnosis_id}}},
                      upsert=True)
            for e in events], ordered=True)
