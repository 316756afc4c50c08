"""Entity records <-> MongoDB documents, FerretDB-v1 safe (pure functions).

The entries of the state journal (`state_store`); `_id` = "<region>:<entity id>". Keys are
fixed field names only (never ids: no '.' or leading '$'), sets become sorted lists of objects
(FerretDB v1 stores no nested arrays), dates are ISO strings, the winning registry fact is its
contract dump under `fact`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from contracts import (
    CnppmStaffRecorded,
    EducatorRecorded,
    ManagementTeamRecorded,
    OrganizationRecorded,
    ProgramRecorded,
    RoadmapItemRecorded,
    SupportStaffRecorded,
)
from services.indicators.domain.records import (
    CnppmStaffRecord,
    Done,
    EducatorRecord,
    EntityKind,
    Move,
    Record,
    RouteFact,
    SupportFact,
    TeamRecord,
    new_record,
)
from services.indicators.repository import EntityKey

FACT_MODELS: dict[EntityKind, type[BaseModel]] = {
    "educator": EducatorRecorded,
    "organization": OrganizationRecorded,
    "program": ProgramRecorded,
    "support_staff": SupportStaffRecorded,
    "team": ManagementTeamRecorded,
    "cnppm_staff": CnppmStaffRecorded,
    "roadmap_item": RoadmapItemRecorded,
}


def doc_id(key: EntityKey) -> str:
    return f"{key.region}:{key.entity_id}"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _done(items: set[Done]) -> list[dict[str, str]]:
    return [{"program": p, "on": d.isoformat()} for p, d in sorted(items)]


def _educator_fields(r: EducatorRecord) -> dict[str, Any]:
    return {
        "moves": [
            {"on": m.on.isoformat(), "org": m.organization_id, "muni": m.municipality_id} for m in sorted(r.moves)
        ],
        "left_on": _iso(r.left_on),
        "diagnoses": [{"id": i, "on": d.isoformat()} for i, d in sorted(r.diagnoses.items())],
        "routes": [
            {"id": i, "on": x.assigned_on.isoformat(), "methodist": x.methodist_id, "programs": list(x.program_ids)}
            for i, x in sorted(r.routes.items())
        ],
        "closed": [{"id": i, "on": d.isoformat()} for i, d in sorted(r.closed.items())],
        "completions": _done(r.completions),
        "supports": [
            {"id": i, "on": s.assigned_on.isoformat(), "until": _iso(s.until)} for i, s in sorted(r.supports.items())
        ],
    }


def encode(key: EntityKey, record: Record) -> dict[str, Any]:
    """The document of one entity's record."""
    doc: dict[str, Any] = {
        "_id": doc_id(key),
        "region": key.region,
        "id": key.entity_id,
        "fact": record.fact.model_dump(mode="json") if record.fact is not None else None,
    }
    if isinstance(record, EducatorRecord):
        doc |= _educator_fields(record)
    elif isinstance(record, TeamRecord):
        doc["completions"] = _done(record.completions)
    elif isinstance(record, CnppmStaffRecord):
        doc["trainings"] = sorted(d.isoformat() for d in record.trainings)
    return doc


def _educator(record: EducatorRecord, doc: dict[str, Any]) -> None:
    record.moves = {Move(date.fromisoformat(x["on"]), x["org"], x["muni"]) for x in doc.get("moves") or ()}
    record.left_on = _day(doc.get("left_on"))
    record.diagnoses = {x["id"]: date.fromisoformat(x["on"]) for x in doc.get("diagnoses") or ()}
    record.routes = {
        x["id"]: RouteFact(date.fromisoformat(x["on"]), x.get("methodist"), tuple(x.get("programs") or ()))
        for x in doc.get("routes") or ()
    }
    record.closed = {x["id"]: date.fromisoformat(x["on"]) for x in doc.get("closed") or ()}
    record.completions = {Done(x["program"], date.fromisoformat(x["on"])) for x in doc.get("completions") or ()}
    record.supports = {
        x["id"]: SupportFact(date.fromisoformat(x["on"]), _day(x.get("until"))) for x in doc.get("supports") or ()
    }


def decode(kind: EntityKind, doc: dict[str, Any]) -> Record:
    """The record of one entity's document."""
    record = new_record(kind)
    if doc.get("fact") is not None:
        record.fact = FACT_MODELS[kind].model_validate(doc["fact"])
    if isinstance(record, EducatorRecord):
        _educator(record, doc)
    elif isinstance(record, TeamRecord):
        record.completions = {Done(x["program"], date.fromisoformat(x["on"])) for x in doc.get("completions") or ()}
    elif isinstance(record, CnppmStaffRecord):
        record.trainings = {date.fromisoformat(d) for d in doc.get("trainings") or ()}
    return record


def unsafe_keys(doc: Any, path: str = "") -> list[str]:
    """Keys FerretDB v1 refuses (containing '.' or starting with '$'), anywhere in a document."""
    found: list[str] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if "." in str(k) or str(k).startswith("$"):
                found.append(f"{path}/{k}")
            found += unsafe_keys(v, f"{path}/{k}")
    elif isinstance(doc, (list, tuple)):
        for i, v in enumerate(doc):
            found += unsafe_keys(v, f"{path}/{i}")
    return found
