"""The MongoDB side of the diagnostics service without a server: documents are FerretDB v1
safe and keep the emitted event byte for byte; the repository holds its diagnoses in memory,
appends one journal document per batch, never replaces a diagnosis, moves the latest only
forward and reads the same state back from its journal (over a small fake of the few
collection operations the journal uses)."""

from __future__ import annotations

import tracemalloc
from datetime import date

from contracts import DeficitDiagnosed
from demo.competencies import framework_competencies
from services.diagnostics.adapters.documents import diagnosis_document, unsafe_keys
from services.diagnostics.adapters.store import DIAGNOSES, JournalDiagnosisRepository, typical_diagnoses
from services.diagnostics.domain.diagnosis import diagnose
from services.diagnostics.service import SOURCE
from tests.support.diagnostics import ED, FRAMEWORKS, FW, LATER, R, result
from tests.support.journal import FakeDb


def event(session: str = "s1", day: date = LATER, score: float = 40.0, previous=None) -> DeficitDiagnosed:
    dx = diagnose(
        result({"digital_platforms": score, "management_team": 20}, session=session, day=day, role="manager"),
        FW,
        previous,
    )
    return DeficitDiagnosed.create(dx, source=SOURCE, region=R)


def test_documents_are_ferretdb_safe_and_keep_the_event_exactly():
    e = event()
    doc = diagnosis_document(e)
    assert unsafe_keys(doc) == [] and set(doc) == {"region", "educator_key", "order", "event"}
    assert DeficitDiagnosed.model_validate_json(doc["event"]).model_dump_json() == e.model_dump_json()
    assert doc["educator_key"] == f"{R}:{ED}" and doc["order"] == f"{LATER.isoformat()}|s1"
    assert unsafe_keys({"a.b": 1, "ok": [{"$x": 1}]}) == ["/a.b", "/ok[0]/$x"]


async def test_the_repository_round_trips_diagnoses_and_moves_the_latest_only_forward():
    db = FakeDb()
    repo = JournalDiagnosisRepository(db)
    sep, may = event("sep", date(2024, 9, 1)), event("may", date(2024, 5, 1), score=10)
    await repo.save([sep], [sep])
    await repo.save([may], [may])  # arrives late: stored, but the latest stays September
    for reader in (repo, JournalDiagnosisRepository(db)):  # in memory, and read back from the journal
        loaded = await reader.load([f"{R}:dx-sep", f"{R}:dx-may", f"{R}:dx-none"], [f"{R}:{ED}", "RU-X:ed-none"])
        assert loaded.emitted[f"{R}:dx-sep"].model_dump_json() == sep.model_dump_json()
        assert set(loaded.emitted) == {f"{R}:dx-sep", f"{R}:dx-may"}
        assert loaded.latest == {f"{R}:{ED}": sep.payload}
        history = await reader.history([f"{R}:{ED}"])
        assert sorted(d.diagnosis_id for d in history[f"{R}:{ED}"]) == ["dx-may", "dx-sep"]
    dec = event("dec", date(2024, 12, 1))
    await repo.save([dec], [dec])
    assert (await repo.load([], [f"{R}:{ED}"])).latest[f"{R}:{ED}"].diagnosis_id == "dx-dec"


async def test_a_stored_diagnosis_is_never_replaced():
    db = FakeDb()
    repo = JournalDiagnosisRepository(db)
    first, other = event(score=40), event(score=90)
    await repo.save([first], [])
    await repo.save([other], [])
    for reader in (repo, JournalDiagnosisRepository(db)):
        stored = (await reader.load([f"{R}:dx-s1"], [])).emitted[f"{R}:dx-s1"]
        assert stored.model_dump_json() == first.model_dump_json()


async def test_a_batch_is_one_insert_and_a_reload_reads_what_another_instance_wrote():
    db = FakeDb()
    mine, theirs = JournalDiagnosisRepository(db), JournalDiagnosisRepository(db)
    await mine.load([], [])
    a, b = event("a"), event("b", date(2024, 10, 1))
    await theirs.save([a, b], [b])
    assert db[DIAGNOSES].inserts == 1
    assert (await mine.load([f"{R}:dx-a"], [])).emitted == {}
    await mine.reload()  # partitions assigned
    assert set((await mine.load([f"{R}:dx-a", f"{R}:dx-b"], [])).emitted) == {f"{R}:dx-a", f"{R}:dx-b"}


async def test_a_read_back_state_holds_each_diagnosis_in_less_than_its_json():
    # a national state holds millions of diagnoses (~1.4 KB of JSON each): held as they were, the
    # service would pass 4 GB; compressed against typical diagnoses they take a fraction of that
    db = FakeDb()
    teacher = framework_competencies()["teacher"]
    diagnoses = [
        DeficitDiagnosed.create(
            diagnose(result({c: (n * 7 + i * 13) % 100 for i, c in enumerate(teacher)}, session=f"s{n}"), FW, None),
            source=SOURCE,
            region=R,
        )
        for n in range(400)
    ]
    await JournalDiagnosisRepository(db).save(diagnoses, diagnoses)
    text = sum(len(e.model_dump_json()) for e in diagnoses)
    tracemalloc.start()
    try:
        reader = JournalDiagnosisRepository(db, typical_diagnoses(FRAMEWORKS))
        await reader.reload()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < text * 0.4  # as text: 1.16; compressed without the typical diagnoses: 0.57
    assert (await reader.load([f"{R}:dx-s7"], [])).emitted[f"{R}:dx-s7"].model_dump_json() == diagnoses[
        7
    ].model_dump_json()
