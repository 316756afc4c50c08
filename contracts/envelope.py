"""The envelope every РСНМС event shares, and the rules for building one.

An event is a small immutable record named in the past tense. Its `event_id` is
deterministic where a business key exists (uuid5 of event type and key), so a
source system that re-sends the same fact produces the same id and consumers can
treat the replay as a no-op. `key` is the entity key used as Kafka partition key:
all events of one educator share it and stay ordered.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from contracts.text import TEXT_TYPES, find_control, has_control

EVENT_NAMESPACE = uuid.UUID("6f1e0c4e-5d8b-4f7a-9a51-2f0b6c7e9d10")

REGION_PATTERN = r"^[A-Z0-9][A-Z0-9-]{1,15}$"
SOURCE_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"

#: prefix of the current `Event.content_hash()` format; a digest without it is legacy
CONTENT_HASH_PREFIX = "c2:"

#: validation context key: the document's text was checked already (by the codec)
TEXT_CHECKED = "rsnms_text_checked"

#: set while records are built only from text checked already (`built_from_checked_text`)
_FROM_CHECKED_TEXT: ContextVar[bool] = ContextVar("rsnms_from_checked_text", default=False)

K = TypeVar("K")
V = TypeVar("V")


def _sorted_keys(value: dict[Any, Any]) -> dict[Any, Any]:
    keys = list(value)
    ordered = sorted(keys)
    if keys == ordered:  # what the platform writes comes in order: kept as it is, not copied
        return value
    return {k: value[k] for k in ordered}


#: the validator that puts a dict in key order (the structural test looks for it)
SORT_KEYS = AfterValidator(_sorted_keys)

#: A dict held in key order whatever order it was given in, so that its JSON
#: (`model_dump_json`, hence `Event.content_hash()`) is canonical. Every dict field of a
#: contract is one (a unit test walks the contracts); nest it for dicts of dicts:
#: `SortedDict[str, SortedDict[str, int]]`. The wire format and JSON Schema are a plain
#: object's. Contracts have no set fields: a set's JSON order is arbitrary.
SortedDict = Annotated[dict[K, V], SORT_KEYS]


class Record(BaseModel):
    """Base of every contract model: immutable, strict about unknown fields.

    `extra="forbid"` is also a personal-data guard: a publisher that adds a
    `name` or `snils` field to a payload gets a validation error, not a leak.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    #: whether text fields are checked for control characters (contracts.text)
    check_text: ClassVar[bool] = True

    def value_of(self, name: str, default: Any = None) -> Any:
        """The field `name`, or `default` when this kind of record has no such field (`getattr`
        with a default, without pydantic's `__getattr__`, which costs microseconds to fail)."""
        return self.__dict__.get(name, default)

    @model_validator(mode="after")
    def _no_control_characters(self, info: ValidationInfo) -> Self:
        """Text fields hold no control characters but tab, LF and CR (`contracts.text`). The codec
        checks a decoded document as a whole and says so in the validation context."""
        if not self.check_text or _FROM_CHECKED_TEXT.get() or (info.context and info.context.get(TEXT_CHECKED)):
            return self
        for name, value in self.__dict__.items():
            if isinstance(value, TEXT_TYPES) and has_control(value):
                raise ValueError(find_control(value, name))
        return self


@contextmanager
def built_from_checked_text() -> Iterator[None]:
    """Within it (in this task, and in tasks it starts), records are built from text that was
    checked for control characters already, and are not walked again: the consumer applies a
    batch of decoded events inside it, and what a use case builds comes from those events, its
    stored state and its configuration, all checked when they came in. Records built from
    anything else (an HTTP request, a file) must be built outside it."""
    token = _FROM_CHECKED_TEXT.set(True)
    try:
        yield
    finally:
        _FROM_CHECKED_TEXT.reset(token)


def deterministic_event_id(event_type: str, business_key: str) -> uuid.UUID:
    """Same fact, same id: replays of a source system are recognisable."""
    return uuid.uuid5(EVENT_NAMESPACE, f"{event_type}:{business_key}")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(Record):
    """Envelope fields; concrete events add `event_type`, `schema_version` and `payload`."""

    event_type: str
    schema_version: int
    event_id: uuid.UUID
    occurred_at: datetime
    source: str = Field(pattern=SOURCE_PATTERN, description="publishing system")
    region: str = Field(pattern=REGION_PATTERN, description="region code, e.g. RU-YEV")
    key: str = Field(pattern=ID_PATTERN, description="entity key, the Kafka partition key")
    payload: Record

    @model_validator(mode="before")
    @classmethod
    def _says_its_version(cls, data: Any) -> Any:
        """A document names its schema version as an integer: without this, a missing version
        would take the class's default and `true` would equal 1 (the codec's upcasting refuses
        both before validating; JSON read straight into an event must be refused too)."""
        if isinstance(data, dict) and type(data.get("schema_version")) is not int:
            raise ValueError(f"schema_version must be an integer, not {data.get('schema_version')!r}")
        return data

    #: name of the payload field that is the partition key (set per event class)
    key_field: ClassVar[str] = ""
    #: payload fields that together form the business key (default: the key field)
    business_key_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def create(
        cls,
        payload: Record,
        *,
        source: str,
        region: str,
        occurred_at: datetime | None = None,
        event_id: uuid.UUID | None = None,
    ) -> Self:
        """Build an event with its key and deterministic id taken from the payload."""
        fields = cls.business_key_fields or (cls.key_field,)
        data = payload.model_dump(mode="json", include={cls.key_field, *fields})
        key = str(data[cls.key_field])
        business_key = "|".join(str(data[f]) for f in fields)
        event_type = cls.model_fields["event_type"].default
        return cls(
            event_type=event_type,
            schema_version=cls.model_fields["schema_version"].default,
            event_id=event_id or deterministic_event_id(event_type, f"{region}|{business_key}"),
            occurred_at=occurred_at or utcnow(),
            source=source,
            region=region,
            key=key,
            payload=payload,
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    def content_hash(self) -> str:
        """Hash of what the event says (not when or how it travelled): `"c2:"` + sha256 hex.

        Two deliveries of one event have the same hash; the same `event_id` with a
        different hash is a conflict that consumers refuse to apply. It is computed for
        every event a consumer reads, so it hashes pydantic's own JSON (cheaper than
        `legacy_content_hash`, docs/decisions/runtime-costs.md); that JSON is canonical because fields come in class
        order and every dict field is a `SortedDict`. Compare a stored digest with
        `has_content`, never with `==`: digests stored before "c2" are legacy.
        """
        body = self.model_dump_json(exclude={"occurred_at"}).encode()
        return CONTENT_HASH_PREFIX + hashlib.sha256(body).hexdigest()

    def legacy_content_hash(self) -> str:
        """The digest `content_hash` returned before "c2" (64 hex characters, no prefix):
        sha256 of the JSON dump with sorted keys. Ledgers and stores still hold them."""
        body: dict[str, Any] = self.model_dump(mode="json", exclude={"occurred_at"})
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    def has_content(self, digest: str) -> bool:
        """Whether `digest` (stored earlier, in either format) is this event's content hash,
        computed the way that digest was: the upgrade path for legacy digests."""
        if digest.startswith(CONTENT_HASH_PREFIX):
            return digest == self.content_hash()
        return digest == self.legacy_content_hash()
