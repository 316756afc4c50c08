"""Documents the routes store writes suit FerretDB v1: no nested arrays, no keys with '.' or
starting with '$', and they read back into the same state."""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts import Activity, ActivityCompleted, Enrolment, ProgramEnrolled
from services.routes.adapters.store import catalogue_document, file_document, route_view
from services.routes.domain.config import RoutePolicy
from services.routes.domain.educator import Catalogue, EducatorFile, Loads
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
    doc = file_document(file)
    assert problems(doc) == []
    assert doc["_id"] == f"{R}:{ED}" and doc["active_methodist"] == "m" and doc["mentor"] is None
    views = route_view(file)
    assert [problems(v) for v in views] == [[], []]
    assert catalogue_document(program("dpp.2024.1", ["c1"]))["revision"] == 1
    assert problems(catalogue_document(program("dpp.2024.1", ["c1"]))) == []


def test_documents_read_back_into_the_same_file():
    file = busy_file()
    assert EducatorFile.model_validate(file_document(file)["file"]) == file


def test_the_route_view_carries_status_history_and_item_statuses():
    first, second = route_view(busy_file())
    assert (first["_id"], first["status"], second["status"]) == ("route-dx-1", "cancelled", "active")
    assert [h["status"] for h in first["history"]] == ["draft", "active", "cancelled"]
    assert {i["item_id"]: i["status"] for i in first["items"]} == {"p1": "enrolled", "f1": "completed", "f2": "planned"}
    assert first["methodist_id"] == "m" and first["educator_id"] == ED and first["region"] == R
