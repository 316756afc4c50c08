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


def test_blobs_are_stored_beside_the_packed_entries_and_read_back_as_they_were():
    import zlib

    from rsnms_runtime.mongo import Blob, compressed_bytes, pack_with_blobs, unpack

    one, two = Blob(zlib.compress(b'{"a": 1}')), Blob(zlib.compress('{"б": [2]}'.encode()))
    entries = [{"k": "x", "file": one}, {"k": "y", "nested": {"file": two}, "list": [one]}, {"k": "z"}]
    packed, blobs = pack_with_blobs(entries)
    assert bytes(blobs or b"") == one.data + two.data + one.data  # each as it is, not serialised again
    assert unpack(packed, blobs) == entries
    assert compressed_bytes(unpack(packed, blobs)[1]["nested"]["file"]) == two.data
    assert pack_with_blobs([{"k": "x"}])[1] is None  # no blob, no second field
    shown = decoded({"_id": "j", "packed": packed, "blobs": blobs})
    assert shown["packed"]["$packed"][1] == {
        "k": "y",
        "nested": {"file": {"$packed": {"б": [2]}}},
        "list": [{"$packed": {"a": 1}}],
    }
    json.dumps(shown)
