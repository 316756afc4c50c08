"""The dead-letter record: what could not be applied, why, and where it came from."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Literal

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
]


class DeadLetter(Record):
    error_kind: ErrorKind
    error: str = Field(description="human-readable reason")
    consumer: str = Field(description="service (consumer group) that refused the message")
    topic: str
    partition: int
    offset: int
    key: str | None = None
    event_id: str | None = None
    event_type: str | None = None
    original_b64: str = Field(description="the original message bytes, base64")
    original_headers: dict[str, str] = Field(default_factory=dict, description="the original message headers")
    failed_at: datetime

    @property
    def original(self) -> bytes:
        return base64.b64decode(self.original_b64)

    @staticmethod
    def encode_original(raw: bytes) -> str:
        return base64.b64encode(raw).decode()
