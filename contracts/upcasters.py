"""Upcasters: each turns an event document of one schema version into the next.

Consumers decode every version a producer may still send: older documents are brought
to the current schema before validation, so domain code sees one shape only.
"""

from __future__ import annotations

from typing import Any

from contracts.codec import upcaster


@upcaster("EducatorRegistered", 1)
def educator_registered_v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """v2 added the qualification category and subject areas; v1 knew neither."""
    payload = dict(doc["payload"])
    payload.setdefault("qualification_category", "none")
    payload.setdefault("subject_areas", [])
    return {**doc, "schema_version": 2, "payload": payload}
