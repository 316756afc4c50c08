"""MongoDB documents of the diagnostics service, FerretDB v1 safe: plain objects and strings,
no key with '.' or starting with '$' (competency ids are snake_case by the framework's
validation), dates as ISO strings.

- `diagnoses` (`_id` = "<region>:<diagnosis id>"): the diagnosis, the emitted event as its
  exact JSON (re-emitted byte for byte), the educator key and the order key (history reads).
- `educator_latest` (`_id` = "<region>:<educator id>"): the latest diagnosis of an educator,
  its id, day, session and order key; the diagnosis is embedded, so the previous diagnosis of
  a repeat costs no second read.
"""

from __future__ import annotations

from typing import Any

from contracts import DeficitDiagnosed, Diagnosis
from services.diagnostics.domain.history import order_of
from services.diagnostics.repository import educator_key


def diagnosis_document(event: DeficitDiagnosed) -> dict[str, Any]:
    """Fields of a `diagnoses` document (without `_id`)."""
    dx = event.payload
    return {
        "region": event.region,
        "educator_key": educator_key(event.region, dx.educator_id),
        "order": order_of(dx),
        "diagnosis": dx.model_dump(mode="json"),
        "event": event.model_dump_json(),
    }


def latest_document(event: DeficitDiagnosed) -> dict[str, Any]:
    """Fields of an `educator_latest` document (without `_id`)."""
    dx = event.payload
    return {
        "region": event.region,
        "educator_id": dx.educator_id,
        "order": order_of(dx),
        "diagnosed_on": dx.diagnosed_on.isoformat(),
        "session_id": dx.session_id,
        "diagnosis_id": dx.diagnosis_id,
        "diagnosis": dx.model_dump(mode="json"),
    }


def diagnosis_of(doc: dict[str, Any]) -> Diagnosis:
    return Diagnosis.model_validate(doc["diagnosis"])


def unsafe_keys(doc: Any, path: str = "") -> list[str]:
    """Paths of keys FerretDB v1 refuses ('.' inside, '$' first), for tests and assertions."""
    bad: list[str] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if "." in k or k.startswith("$"):
                bad.append(f"{path}/{k}")
            bad += unsafe_keys(v, f"{path}/{k}")
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            bad += unsafe_keys(v, f"{path}[{i}]")
    return bad
