"""The diagnostics journal's entries, FerretDB v1 safe: plain objects and strings, no key with
'.' or starting with '$', dates as ISO strings. An entry (`diagnosis_document`) holds the
emitted event as its exact JSON (re-emitted byte for byte; the diagnosis is read from it), its
region, the educator key and the order key (history reads).
"""

from __future__ import annotations

from typing import Any

from contracts import DeficitDiagnosed
from services.diagnostics.domain.history import order_of
from services.diagnostics.repository import educator_key


def diagnosis_document(event: DeficitDiagnosed) -> dict[str, Any]:
    """Fields of a `diagnoses` document (without `_id`)."""
    dx = event.payload
    return {
        "region": event.region,
        "educator_key": educator_key(event.region, dx.educator_id),
        "order": order_of(dx),
        "event": event.model_dump_json(),
    }


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
