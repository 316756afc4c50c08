"""Building dead letters from Kafka records: bounded (they always fit on the dead-letter topic,
however big the original was once decompressed), without personal data, with printable text.

Used by the batch consumer and by `rsnms skip`, so a letter looks the same whoever wrote it."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from contracts.deadletter import HEADERS_KEPT, ORIGINAL_KEPT_BYTES, TEXT_KEPT, DeadLetter, ErrorKind
from contracts.privacy import redact

#: control characters (other than tab, newline, carriage return) shown escaped in a letter's text
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: originals above this size are not parsed for redaction: only their first bytes are kept, and
#: those are cleaned as text (SNILS patterns) since they are no whole JSON document
REDACT_PARSE_LIMIT = 4 * ORIGINAL_KEPT_BYTES


def printable(text: str, limit: int = TEXT_KEPT) -> str:
    """`text` with control characters escaped (`\\x00`), at most `limit` characters."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kept_original(raw: bytes) -> tuple[bytes, bool, bool]:
    """(bytes kept, personal data removed, truncated). An original too big to keep whole keeps its
    first bytes; a part of a JSON document cannot be parsed, so its personal keys are blanked by
    pattern (and formatted SNILS numbers, as in every original)."""
    if len(raw) <= REDACT_PARSE_LIMIT:
        cleaned, redacted = redact(raw)
        if len(cleaned) <= ORIGINAL_KEPT_BYTES:
            return cleaned, redacted, False
    else:
        cleaned, redacted = redact(raw[:ORIGINAL_KEPT_BYTES])
    head = cleaned[:ORIGINAL_KEPT_BYTES]
    part = _blank_personal_text(head)
    return part, redacted or part != head, True


_PERSONAL_TEXT = re.compile(
    rb'("(?:name|full_?name|first_name|last_name|middle_name|surname|patronymic|fio|snils|inn|passport|e_?mail'
    rb'|phone|telephone|mobile|address|birth_?date|date_of_birth|birthday)"\s*:\s*)"(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)


def _blank_personal_text(raw: bytes) -> bytes:
    return _PERSONAL_TEXT.sub(rb'\1"[redacted]"', raw)


def letter_for(
    record: Any,
    kind: ErrorKind,
    error: str,
    consumer: str,
    event_id: str | None = None,
    event_type: str | None = None,
) -> DeadLetter:
    """The dead letter of a Kafka `record` (topic, partition, offset, key, value, headers)."""
    raw: bytes = record.value or b""
    kept, redacted, truncated = _kept_original(raw)
    if truncated:
        error += (
            f" (original of {len(raw)} bytes not kept whole: its first {len(kept)} bytes here,"
            f" the rest at {record.topic}:{record.partition}:{record.offset})"
        )
    elif redacted:
        error += " (personal data removed from the original kept here)"
    headers = {
        printable(str(k), 200): printable(v.decode(errors="replace") if isinstance(v, bytes) else str(v), 1000)
        for k, v in list(record.headers or ())[:HEADERS_KEPT]
    }
    return DeadLetter(
        error_kind=kind,
        error=printable(error),
        consumer=consumer,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=printable(record.key.decode(errors="replace"), 1000) if record.key else None,
        event_id=printable(event_id, 200) if event_id else None,
        event_type=printable(event_type, 200) if event_type else None,
        original_b64=DeadLetter.encode_original(kept),
        original_headers=headers,
        original_size=len(raw),
        original_sha256=hashlib.sha256(raw).hexdigest(),
        original_truncated=truncated,
        failed_at=datetime.now(UTC),
    )


def without_original(letter: DeadLetter, why: str) -> DeadLetter:
    """The same letter without the original's bytes (the last resort when even the bounded letter
    is refused by the broker): the digest and the position still identify it."""
    return letter.model_copy(
        update={
            "original_b64": "",
            "original_headers": {},
            "original_truncated": True,
            "error": printable(f"{letter.error} (original not kept: {why})"),
        }
    )
