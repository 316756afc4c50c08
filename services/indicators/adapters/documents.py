"""Entity records <-> MongoDB documents, FerretDB-v1 safe (pure functions).

The entries of the state journal (`state_store`); `_id` = "<region>:<entity id>". Keys are
fixed field names only (never ids: no '.' or leading '$'), sets become sorted lists of objects
(FerretDB v1 stores no nested arrays), dates are ISO strings, the winning registry fact is its
contract dump under `fact`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from datetime import date
from typing import Any, TypeVar

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
    NOTHING,
    AttachmentFact,
    CnppmStaffRecord,
    DiagnosisFact,
    Done,
    EducatorRecord,
    EntityKind,
    ExternalRouteFact,
    Move,
    ProgramRecord,
    Record,
    RoadmapRecord,
    RouteFact,
    SupportFact,
    TeamRecord,
    ValidRecord,
    held,
    kept,
    new_record,
    no_entries,
    shared,
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


def _done(items: AbstractSet[Done]) -> list[dict[str, str]]:
    return [{"program": p, "on": d.isoformat()} for p, d in sorted(items)]


def _educator_fields(r: EducatorRecord) -> dict[str, Any]:
    return {
        "moves": [
            {"on": m.on.isoformat(), "org": m.organization_id, "muni": m.municipality_id} for m in sorted(r.moves)
        ],
        "left_on": _iso(r.left_on),
        "diagnoses": [{"id": i, "on": d.on.isoformat(), "by": d.by} for i, d in sorted(r.diagnoses.items())],
        "routes": [
            {"id": i, "on": x.assigned_on.isoformat(), "methodist": x.methodist_id, "programs": list(x.program_ids)}
            for i, x in sorted(r.routes.items())
        ],
        "closed": [{"id": i, "on": d.isoformat()} for i, d in sorted(r.closed.items())],
        "completions": _done(r.completions),
        "forms": [
            {
                "id": i,
                "rev": s.revision,
                "kind": s.kind,
                "by": s.supporter_id,
                "confirmed": s.confirmed,
                "on": s.started_on.isoformat(),
                "until": _iso(s.ended_on),
            }
            for i, s in sorted(r.supports.items())
        ],
        "attachments": [
            {
                "id": i,
                "rev": a.revision,
                "methodist": a.methodist_id,
                "confirmed": a.confirmed,
                "on": a.attached_from.isoformat(),
                "until": _iso(a.attached_to),
            }
            for i, a in sorted(r.attachments.items())
        ],
        "external_routes": [
            {"id": i, "rev": x.revision, "on": x.developed_on.isoformat(), "dx": x.diagnosis_id, "src": x.source_system}
            for i, x in sorted(r.external_routes.items())
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
    if isinstance(record, ValidRecord):
        doc["ended_on"] = _iso(record.ended_on)
    if isinstance(record, TeamRecord):
        doc["completions"] = _done(record.completions)
    elif isinstance(record, CnppmStaffRecord):
        doc["trainings"] = sorted(d.isoformat() for d in record.trainings)
    elif isinstance(record, ProgramRecord):
        doc["periods"] = [{"from": a.isoformat(), "to": b.isoformat()} for a, b in sorted(record.periods)]
        doc["register"] = [{"on": a.isoformat(), "included": b} for a, b in sorted(record.register)]
    elif isinstance(record, RoadmapRecord):
        doc["statuses"] = [{"on": a.isoformat(), "status": b} for a, b in sorted(record.statuses)]
    return doc


T = TypeVar("T")
V = TypeVar("V")


def _set(items: Iterable[T]) -> AbstractSet[T]:
    """A decoded set; an empty one is the records' shared empty set."""
    return set(items) or NOTHING


def _map(entries: Iterable[tuple[str, V]]) -> Mapping[str, V]:
    """A decoded map; an empty one is the records' shared empty map."""
    return dict(entries) or no_entries()


def _educator(record: EducatorRecord, doc: dict[str, Any]) -> None:
    """An educator's collections read back, their values shared as the fold shares them."""
    record.moves = _set(kept(Move(date.fromisoformat(x["on"]), x["org"], x["muni"])) for x in doc.get("moves") or ())
    record.left_on = shared(_day(doc.get("left_on")))
    record.diagnoses = _map(
        (x["id"], kept(DiagnosisFact(date.fromisoformat(x["on"]), x.get("by", "unknown"))))
        for x in doc.get("diagnoses") or ()
    )
    record.routes = _map(
        (x["id"], kept(RouteFact(date.fromisoformat(x["on"]), x.get("methodist"), tuple(x.get("programs") or ()))))
        for x in doc.get("routes") or ()
    )
    record.closed = _map((x["id"], shared(date.fromisoformat(x["on"]))) for x in doc.get("closed") or ())
    record.completions = _set(
        kept(Done(x["program"], date.fromisoformat(x["on"]))) for x in doc.get("completions") or ()
    )
    # "supports" of earlier versions held the platform's own SupportAssigned: not read any more
    record.supports = _map(
        (
            x["id"],
            kept(
                SupportFact(
                    x["rev"], x["kind"], x.get("by"), x["confirmed"], date.fromisoformat(x["on"]), _day(x.get("until"))
                )
            ),
        )
        for x in doc.get("forms") or ()
    )
    record.attachments = _map(
        (
            x["id"],
            kept(
                AttachmentFact(
                    x["rev"], x["methodist"], x["confirmed"], date.fromisoformat(x["on"]), _day(x.get("until"))
                )
            ),
        )
        for x in doc.get("attachments") or ()
    )
    record.external_routes = _map(
        (x["id"], ExternalRouteFact(x["rev"], shared(date.fromisoformat(x["on"])), x["dx"], shared(x["src"])))
        for x in doc.get("external_routes") or ()
    )


def decode(kind: EntityKind, doc: dict[str, Any]) -> Record:
    """The record of one entity's document."""
    record = new_record(kind)
    if doc.get("fact") is not None:
        record.fact = held(FACT_MODELS[kind].model_validate(doc["fact"]))
    if isinstance(record, EducatorRecord):
        _educator(record, doc)
    if isinstance(record, ValidRecord):
        record.ended_on = _day(doc.get("ended_on"))
    if isinstance(record, TeamRecord):
        record.completions = _set(
            kept(Done(x["program"], date.fromisoformat(x["on"]))) for x in doc.get("completions") or ()
        )
    elif isinstance(record, CnppmStaffRecord):
        record.trainings = _set(date.fromisoformat(d) for d in doc.get("trainings") or ())
    elif isinstance(record, ProgramRecord):
        record.periods = _set(
            (date.fromisoformat(x["from"]), date.fromisoformat(x["to"])) for x in doc.get("periods") or ()
        )
        record.register = _set((date.fromisoformat(x["on"]), bool(x["included"])) for x in doc.get("register") or ())
    elif isinstance(record, RoadmapRecord):
        record.statuses = _set((date.fromisoformat(x["on"]), x["status"]) for x in doc.get("statuses") or ())
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
