"""`rsnms decode` shows stored documents as JSON: packed journal fields unpacked, other BSON values
as plain JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bson import Binary, ObjectId

from rsnms_runtime.decode import decoded
from rsnms_runtime.mongo import pack


def test_packed_fields_are_unpacked_and_other_values_become_plain_json():
    doc = {
        "_id": "chunk-1",
        "at": datetime(2026, 12, 5, 9, 30, tzinfo=UTC),
        "packed": pack([["e1", "e2"], ["c2:aa", "c2:bb"]]),
        "raw": Binary(b"\x00\x01not zlib"),
        "oid": ObjectId("0123456789abcdef01234567"),
        "nested": [{"n": 1, "packed": pack({"Показатель": "I1"})}],
    }
    out = decoded(doc)
    assert out == {
        "_id": "chunk-1",
        "at": "2026-12-05T09:30:00+00:00",
        "packed": {"$packed": [["e1", "e2"], ["c2:aa", "c2:bb"]]},
        "raw": {"$binary": "AAFub3QgemxpYg=="},
        "oid": "0123456789abcdef01234567",
        "nested": [{"n": 1, "packed": {"$packed": {"Показатель": "I1"}}}],
    }
    json.dumps(out)  # all of it is JSON
