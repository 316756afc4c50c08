"""Dead letters are bounded whatever they refer to (issue 12 item 1): a 5 MB original keeps its
first part, its size, digest and position, personal data blanked, within the producer's 1 MiB;
an ordinary one keeps its original whole; text is made printable."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

from contracts.deadletter import ORIGINAL_KEPT_BYTES
from rsnms_runtime.deadletters import letter_for, without_original


def _record(value: bytes, headers=()) -> SimpleNamespace:
    return SimpleNamespace(
        topic="rsnms.registry.submitted", partition=1, offset=42, key=b"k\x00", value=value, headers=headers
    )


def test_a_huge_original_is_cut_with_its_digest_and_position_and_the_letter_fits():
    value = json.dumps({"name": "Иванов Иван", "padding": "ab" * (5 * 1024 * 1024 // 2)}, ensure_ascii=False).encode()
    letter = letter_for(_record(value, [("x", b"\x01" * 5000)] * 100), "oversized", "too big", "registry")
    assert letter.original_truncated and len(letter.original) <= ORIGINAL_KEPT_BYTES
    assert letter.original_size == len(value) and letter.original_sha256 == hashlib.sha256(value).hexdigest()
    assert b"\xd0\x98\xd0\xb2" not in letter.original  # the name is blanked in the part kept
    assert "rsnms.registry.submitted:1:42" in letter.error and letter.position == "rsnms.registry.submitted:1:42"
    assert len(letter.model_dump_json()) < 1024 * 1024
    assert letter.key == "k\\x00"
    assert without_original(letter, "refused").original == b""


def test_an_ordinary_original_is_kept_whole():
    value = b'{"event_type": "X"}'
    letter = letter_for(_record(value), "unknown_event_type", "unknown", "registry")
    assert letter.original == value and not letter.original_truncated and letter.original_size == len(value)
