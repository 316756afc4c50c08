"""The dead-letter record: what could not be applied, why, and where it came from.

A dead letter always fits on the dead-letter topic whatever it refers to: the original is kept
whole up to `ORIGINAL_KEPT_BYTES` (after personal data is removed); beyond that the record keeps
its first bytes, its size and SHA-256 digest, and where the original still is (topic, partition,
offset). The reason, the key and the headers are bounded too."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from contracts.envelope import Record

ErrorKind = Literal[
    "malformed_json",
    "not_an_event",
    "unknown_event_type",
    "unknown_schema_version",
    "invalid",
    "wrong_topic",
    "oversized",
    "conflict",
    "rejected",
    "unauthorized",
    #: the use case failed on it every time (an error that is not transient, or a transient one
    #: that outlasted the retries while the infrastructure answered)
    "failed",
    #: an operator skipped it (`rsnms skip`), the reason names who and why
    "skipped",
]

#: the original bytes a dead letter keeps whole (base64 makes them a third larger); well below the
#: producer's 1 MiB request size, so the record with its headers always fits
ORIGINAL_KEPT_BYTES = 384 * 1024
#: characters kept of the reason, of the key and of each original header
TEXT_KEPT = 4000
HEADERS_KEPT = 32


class DeadLetter(Record):
    #: a record about refused input: its text is made printable by whoever writes it
    #: (rsnms_runtime.deadletters), and letters written earlier stay readable
    check_text: ClassVar[bool] = False

    error_kind: ErrorKind
    error: str = Field(description="human-readable reason")
    consumer: str = Field(description="service (consumer group) that refused the message")
    topic: str
    partition: int
    offset: int
    key: str | None = None
    event_id: str | None = None
    event_type: str | None = None
    original_b64: str = Field(
        description="the original message bytes, base64 (personal data removed); only the first "
        "ORIGINAL_KEPT_BYTES when original_truncated"
    )
    original_headers: dict[str, str] = Field(default_factory=dict, description="the original message headers")
    original_size: int | None = Field(default=None, description="size of the original value in bytes")
    original_sha256: str | None = Field(default=None, description="SHA-256 (hex) of the original value as sent")
    original_truncated: bool = Field(
        default=False, description="only a part of the original is kept: read it at topic/partition/offset"
    )
    failed_at: datetime

    @property
    def original(self) -> bytes:
        return base64.b64decode(self.original_b64)

    @property
    def position(self) -> str:
        """Where the original is: `topic:partition:offset`."""
        return f"{self.topic}:{self.partition}:{self.offset}"

    @staticmethod
    def encode_original(raw: bytes) -> str:
        return base64.b64encode(raw).decode()
