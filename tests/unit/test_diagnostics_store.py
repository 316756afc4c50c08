"""The MongoDB side of the diagnostics service without a server: documents are FerretDB v1
safe and keep the emitted event byte for byte; the repository reads by `_id`, inserts
diagnoses only if missing and moves the latest pointer only forward (over a small fake of
the few collection operations it uses)."""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts import DeficitDiagnosed
from services.diagnostics.adapters.documents import diagnosis_document, latest_document, unsafe_keys
from services.diagnostics.adapters.store import DIAGNOSES, EDUCATOR_LATEST, MongoDiagnosisRepository
from services.diagnostics.domain.diagnosis import diagnose
from services.diagnostics.service import SOURCE
from tests.support.diagnostics import ED, FW, LATER, R, result


def event(session: str = "s1", day: date = LATER, score: float = 40.0, previous=None) -> DeficitDiagnosed:
    dx = diagnose(
        result({"digital_platforms": score, "management_team": 20}, session=session, day=day, role="manager"),
        FW,
        previous,
    )
    return DeficitDiagnosed.create(dx, source=SOURCE, region=R)


def _matches(doc: dict[str, Any], flt: dict[str, Any]) -> bool:
    for field, cond in flt.items():
        if isinstance(cond, dict) and "$in" in cond:
            if doc.get(field) not in cond["$in"]:
                return False
        elif isinstance(cond, dict) and "$lt" in cond:
            if field not in doc or not doc[field] < cond["$lt"]:
                return False
        elif doc.get(field) != cond:
            return False
    return True


class FakeCollection:
    """find / update_one ($set, $setOnInsert, upsert) / create_index, in memory; `writes` counts
    single-document writes."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.finds: list[dict[str, Any]] = []
        self.writes = 0
        self.indexes: list[Any] = []

    async def create_index(self, keys: Any) -> None:
        self.indexes.append(keys)

    def find(self, flt: dict[str, Any], projection: dict[str, int]):
        self.finds.append(flt)
        found = [
            {k: v for k, v in d.items() if k == "_id" or k in projection}
            for d in self.docs.values()
            if _matches(d, flt)
        ]

        async def cursor():
            for d in found:
                yield d

        return cursor()

    async def update_one(self, flt: dict[str, Any], update: dict[str, Any], upsert: bool = False) -> None:
        self.writes += 1
        assert not unsafe_keys(update.get("$set", {})) and not unsafe_keys(update.get("$setOnInsert", {}))
        doc = self.docs.get(flt["_id"])
        if doc is not None and _matches(doc, flt):
            doc.update(update.get("$set", {}))
        elif doc is None and upsert:
            self.docs[flt["_id"]] = {"_id": flt["_id"], **update.get("$setOnInsert", {}), **update.get("$set", {})}


class FakeDb(dict):
    def __missing__(self, name: str) -> FakeCollection:
        self[name] = FakeCollection()
        return self[name]


def test_documents_are_ferretdb_safe_and_keep_the_event_exactly():
    e = event()
    doc = diagnosis_document(e)
    assert unsafe_keys(doc) == [] and unsafe_keys(latest_document(e)) == []
    assert DeficitDiagnosed.model_validate_json(doc["event"]).model_dump_json() == e.model_dump_json()
    assert doc["educator_key"] == f"{R}:{ED}" and doc["order"] == f"{LATER.isoformat()}|s1"
    latest = latest_document(e)
    assert (latest["diagnosis_id"], latest["diagnosed_on"], latest["session_id"]) == ("dx-s1", "2024-09-01", "s1")
    assert unsafe_keys({"a.b": 1, "ok": [{"$x": 1}]}) == ["/a.b", "/ok[0]/$x"]


async def test_the_repository_round_trips_diagnoses_and_moves_the_pointer_only_forward():
    db = FakeDb()
    repo = MongoDiagnosisRepository(db)
    await repo.ensure_indexes()
    assert db[DIAGNOSES].indexes == ["educator_key"]
    sep, may = event("sep", date(2024, 9, 1)), event("may", date(2024, 5, 1), score=10)
    await repo.save([sep], [sep])
    await repo.save([may], [may])  # arrives late: stored, but the pointer stays on September
    loaded = await repo.load([f"{R}:dx-sep", f"{R}:dx-may", f"{R}:dx-none"], [f"{R}:{ED}", "RU-X:ed-none"])
    assert loaded.emitted[f"{R}:dx-sep"].model_dump_json() == sep.model_dump_json()
    assert set(loaded.emitted) == {f"{R}:dx-sep", f"{R}:dx-may"}
    assert loaded.latest == {f"{R}:{ED}": sep.payload}
    history = await repo.history([f"{R}:{ED}"])
    assert sorted(d.diagnosis_id for d in history[f"{R}:{ED}"]) == ["dx-may", "dx-sep"]
    dec = event("dec", date(2024, 12, 1))
    await repo.save([dec], [dec])
    assert (await repo.load([], [f"{R}:{ED}"])).latest[f"{R}:{ED}"].diagnosis_id == "dx-dec"


async def test_a_stored_diagnosis_is_never_replaced():
    db = FakeDb()
    repo = MongoDiagnosisRepository(db)
    first, other = event(score=40), event(score=90)
    await repo.save([first], [])
    await repo.save([other], [])
    stored = (await repo.load([f"{R}:dx-s1"], [])).emitted[f"{R}:dx-s1"]
    assert stored.model_dump_json() == first.model_dump_json()


async def test_a_batch_reads_each_collection_once_by_id_and_writes_each_document_once():
    db = FakeDb()
    repo = MongoDiagnosisRepository(db)
    await repo.load([f"{R}:dx-a", f"{R}:dx-b", f"{R}:dx-a"], [f"{R}:{ED}"])
    assert db[DIAGNOSES].finds == [{"_id": {"$in": [f"{R}:dx-a", f"{R}:dx-b"]}}]
    assert db[EDUCATOR_LATEST].finds == [{"_id": {"$in": [f"{R}:{ED}"]}}]
    a, b = event("a"), event("b", date(2024, 10, 1))
    await repo.save([a, b], [b])
    assert db[DIAGNOSES].writes == 2 and db[EDUCATOR_LATEST].writes == 1  # one write per document
    await repo.load([], [])
    await repo.save([], [])
    assert len(db[DIAGNOSES].finds) == 1 and db[DIAGNOSES].writes == 2
