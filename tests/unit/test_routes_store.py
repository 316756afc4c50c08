"""Entries the routes store journals suit FerretDB v1 (no nested arrays, no keys with '.' or
starting with '$') and read back into the same state, in memory and from the journal."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

from contracts import Activity, ActivityCompleted, Enrolment, ProgramEnrolled, StaffLeft
from rsnms_runtime.mongo import Blob
from services.routes.adapters.store import HeldFile, RoutesStore, catalogue_document, file_entry, route_view
from services.routes.domain.config import RoutePolicy
from services.routes.domain.educator import Catalogue, EducatorFile, Loads
from tests.support.journal import FakeDb
from tests.support.routes import ED, R, deficit, diagnosed, ev, program, registered, staff


def problems(value: Any, path: str = "", in_array: bool = False) -> list[str]:
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if "." in k or k.startswith("$"):
                found.append(f"{path}.{k}: key")
            found += problems(v, f"{path}.{k}")
    elif isinstance(value, list):
        if in_array:
            found.append(f"{path}: nested array")
        for n, v in enumerate(value):
            found += problems(v, f"{path}[{n}]", in_array=True)
    return found


def busy_file() -> EducatorFile:
    catalogue = Catalogue(
        programs={"dpp.2024.1": program("dpp.2024.1", ["c1"])},
        staff={"m": staff("m"), "men": staff("men", kind="mentor")},
    )
    file, loads, policy = EducatorFile(region=R, educator_id=ED), Loads(), RoutePolicy()
    for event in (
        registered(1998, date(2023, 9, 1), date(2023, 9, 1)),
        diagnosed(deficit("c1"), deficit("dig", area="digital")),
        ev(ProgramEnrolled, Enrolment(educator_id=ED, program_id="dpp.2024.1", enrolled_on=date(2024, 3, 5))),
        ev(
            ActivityCompleted,
            Activity(educator_id=ED, activity_kind="master_class", item_id="f1", completed_on=date(2024, 4, 1)),
        ),
        diagnosed(deficit("c2"), dx="dx-2", day=date(2024, 9, 1)),
    ):
        file.apply(event, catalogue, loads, policy)
    return file


def test_educator_and_route_documents_have_no_nested_arrays_and_safe_keys():
    assert problems({"outbox": [["id", ["event"]]], "a.b": 1}) == [
        ".outbox[0]: nested array",
        ".outbox[0][1]: nested array",
        ".a.b: key",
    ]
    file = busy_file()
    doc = file_entry(file, 1)
    # the file's JSON as the state holds it, compressed once, stored beside the packed entries
    assert doc["file"] == Blob(HeldFile.made(file, 1).packed)
    assert problems({**doc, "file": HeldFile.of(doc).json()}) == []
    assert problems(json.loads(HeldFile.of(doc).json())) == []
    assert doc["k"] == f"{R}:{ED}" and doc["methodist"] == "m" and doc["mentor"] is None
    views = route_view(file)
    assert [problems(v) for v in views] == [[], []]
    assert catalogue_document(program("dpp.2024.1", ["c1"]))["revision"] == 1
    assert problems(catalogue_document(program("dpp.2024.1", ["c1"]))) == []


def test_documents_read_back_into_the_same_file():
    file = busy_file()
    assert HeldFile.of(file_entry(file, 1)).file() == file
    # an entry written before files were journaled compressed holds the JSON as text
    older = {**file_entry(file, 1), "file": file.model_dump_json()}
    assert HeldFile.of(older).file() == file and HeldFile.of(older) == HeldFile.made(file, 1)


def test_an_entry_of_the_base64_layout_reads_back_into_the_same_file():
    file = busy_file()
    held = HeldFile.made(file, 1)
    older = {**file_entry(file, 1), "file": {"$zlib": base64.b64encode(held.packed).decode()}}
    assert HeldFile.of(older) == held and HeldFile.of(older).file() == file


def test_an_operator_reads_a_journaled_file_decoded():
    from rsnms_runtime.decode import decoded
    from rsnms_runtime.mongo import pack_with_blobs

    packed, blobs = pack_with_blobs([file_entry(busy_file(), 1)])
    shown = decoded({"_id": "j1", "packed": packed, "blobs": blobs})
    assert shown["packed"]["$packed"][0]["file"]["$packed"]["educator_id"] == ED
    assert shown["blobs"] == {"$bytes": len(blobs or b"")}


async def test_the_store_holds_the_latest_file_and_catalogue_and_reads_them_back_from_its_journal():
    db = FakeDb()
    store = RoutesStore(db)
    file = busy_file()
    await store.save_catalogue(R, [program("dpp.2024.1", ["c1"])], [staff("m"), staff("men", kind="mentor")])
    await store.save_files([EducatorFile(region=R, educator_id=ED)])
    await store.save_files([file])
    assert db["journal"].inserts == 3  # one per batch
    for reader in (store, RoutesStore(db)):  # in memory, and read back from the journal
        assert await reader.files([f"{R}:{ED}", f"{R}:nobody"]) == {f"{R}:{ED}": file}
        assert set((await reader.catalogue(R)).programs) == {"dpp.2024.1"}
        assert (await reader.loads(R)) == Loads(methodist={"m": 1})
        assert [v["_id"] for v in await reader.routes(R)] == ["route-dx-1", "route-dx-2"]
    got = (await store.files([f"{R}:{ED}"]))[f"{R}:{ED}"]
    got.routes.clear()  # what a failed batch did to its copy never reaches the held state
    assert (await store.files([f"{R}:{ED}"]))[f"{R}:{ED}"] == file


def test_the_route_view_carries_status_history_and_item_statuses():
    first, second = route_view(busy_file())
    assert (first["_id"], first["status"], second["status"]) == ("route-dx-1", "cancelled", "active")
    assert [h["status"] for h in first["history"]] == ["draft", "active", "cancelled"]
    assert {i["item_id"]: i["status"] for i in first["items"]} == {"p1": "enrolled", "f1": "completed", "f2": "planned"}
    assert first["methodist_id"] == "m" and first["educator_id"] == ED and first["region"] == R


async def test_a_departure_is_kept_with_its_earliest_date_and_read_back():
    db = FakeDb()
    store = RoutesStore(db)
    await store.save_catalogue(R, [], [staff("m")], [StaffLeft(staff_id="m", left_on=date(2024, 6, 1))])
    await store.save_catalogue(R, [], [], [StaffLeft(staff_id="m", left_on=date(2024, 9, 1))])  # a later report
    await store.save_catalogue(R, [], [], [StaffLeft(staff_id="m", left_on=date(2024, 5, 1))])  # a correction
    for reader in (store, RoutesStore(db)):
        catalogue = await reader.catalogue(R)
        assert set(catalogue.staff) == {"m"} and catalogue.departed == {"m": date(2024, 5, 1)}
        assert (await reader.catalogue("RU-OTHER")).departed == {}


async def test_files_are_held_against_a_dictionary_trained_on_those_written_before_and_journaled_without_one():
    from rsnms_runtime.compression import decompress
    from rsnms_runtime.journal import decoded
    from rsnms_runtime.mongo import compressed_bytes
    from services.routes.adapters.store import Learning

    file = busy_file()
    made = [file.model_copy(update={"educator_id": f"ed-{k:032x}"}) for k in range(80)]
    wanted = {f"{R}:{f.educator_id}": f for f in made}
    db, learning = FakeDb(), Learning(first=40, samples=40)
    store = RoutesStore(db, learning)
    await store.save_files(made[:40])  # the 40th write trains the first dictionary
    assert learning.packer is not None
    before = store.held_bytes()
    await store.save_files(made[40:])
    assert store.held_bytes() - before < before // 2  # the next 40 in less than half the first 40's
    assert await store.files(list(wanted)) == wanted
    # what is stored reads back in any process: compressed without a dictionary
    stored = [e for d in db["journal"].docs for e in decoded(d) if e["t"] == "file"]
    assert len(stored) == 80 and all(json.loads(decompress(compressed_bytes(e["file"]))) for e in stored)
    again = Learning(first=40, samples=40)
    assert await RoutesStore(db, again).files(list(wanted)) == wanted
    assert again.packer is not None  # trained on files spread over the state read back
