"""Decoding any event from bytes: JSON, event type, schema version (with upcasters), payload.

Errors are `ContractError` with a kind that names the failure so that consumers
can dead-letter the message with a clear reason.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from contracts.deadletter import ErrorKind
from contracts.envelope import TEXT_CHECKED, Event
from contracts.events.diagnostics import DIAGNOSTICS_EVENTS
from contracts.events.indicators import INDICATOR_EVENTS
from contracts.events.registry import REGISTRY_EVENTS
from contracts.events.rounds import GOVERNANCE_EVENTS, ROUND_EVENTS, RoundsSummaryPublished
from contracts.events.routes import PROGRESS_EVENTS, ROUTE_EVENTS
from contracts.events.world import WORLD_EVENTS
from contracts.text import may_hold_control, raw_control
from contracts.topics import Topic

MAX_EVENT_BYTES = 256 * 1024

ALL_EVENTS: tuple[type[Event], ...] = (
    *REGISTRY_EVENTS,
    *WORLD_EVENTS,
    *DIAGNOSTICS_EVENTS,
    *ROUTE_EVENTS,
    *PROGRESS_EVENTS,
    *INDICATOR_EVENTS,
    *GOVERNANCE_EVENTS,
    *ROUND_EVENTS,
    RoundsSummaryPublished,
)
EVENT_CLASSES: dict[str, type[Event]] = {c.model_fields["event_type"].default: c for c in ALL_EVENTS}

#: where each event travels; inbound events also name the topic a source publishes to
EVENT_TOPICS: dict[str, Topic] = {
    **{c.model_fields["event_type"].default: Topic.REGISTRY_FACTS for c in (*REGISTRY_EVENTS, *WORLD_EVENTS)},
    **{c.model_fields["event_type"].default: Topic.DEFICITS for c in DIAGNOSTICS_EVENTS},
    "DiagnosticResultSubmitted": Topic.DIAGNOSTIC_RESULTS,
    **{c.model_fields["event_type"].default: Topic.ROUTES for c in ROUTE_EVENTS},
    **{c.model_fields["event_type"].default: Topic.PROGRESS for c in PROGRESS_EVENTS},
    "IndicatorsPublished": Topic.AGGREGATES,
    "PassportSnapshotTaken": Topic.PASSPORTS,
    **{c.model_fields["event_type"].default: Topic.GOVERNANCE for c in GOVERNANCE_EVENTS},
    **{c.model_fields["event_type"].default: Topic.ROUNDS for c in ROUND_EVENTS},
    "RoundsSummaryPublished": Topic.AGGREGATES,
}

#: events each topic carries; registry facts are first submitted on REGISTRY_SUBMITTED
TOPIC_EVENTS: dict[Topic, frozenset[str]] = {
    topic: frozenset(t for t, where in EVENT_TOPICS.items() if where == topic) for topic in Topic
}
TOPIC_EVENTS[Topic.REGISTRY_SUBMITTED] = TOPIC_EVENTS[Topic.REGISTRY_FACTS]

#: the discriminated union of every event class (built from the list, so not a static alias)
AnyEvent: Any = Annotated[functools.reduce(operator.or_, ALL_EVENTS), Field(discriminator="event_type")]
_ANY_EVENT: TypeAdapter[Event] = TypeAdapter(AnyEvent)

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
#: (event_type, from_version) -> function returning the document at from_version + 1
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    def register(fn: Upcaster) -> Upcaster:
        UPCASTERS[(event_type, from_version)] = fn
        return fn

    return register


class ContractError(ValueError):
    def __init__(self, kind: ErrorKind, detail: str, doc: dict[str, Any] | None = None):
        super().__init__(f"{kind}: {detail}")
        self.kind: ErrorKind = kind
        self.detail = detail
        self.event_id = str(doc.get("event_id")) if isinstance(doc, dict) and doc.get("event_id") else None
        self.event_type = str(doc.get("event_type")) if isinstance(doc, dict) and doc.get("event_type") else None


#: event_type -> its current schema_version (looked up for every decoded event)
CURRENT_VERSIONS: dict[str, int] = {k: c.model_fields["schema_version"].default for k, c in EVENT_CLASSES.items()}


def current_version(event_type: str) -> int:
    return CURRENT_VERSIONS[event_type]


def upcast(doc: dict[str, Any]) -> dict[str, Any]:
    """Bring an event document of any known schema version to the current one."""
    event_type = doc["event_type"]
    version = doc.get("schema_version")
    if isinstance(version, float) and version.is_integer():
        # JSON numbers have one type: 2.0 is 2, as pydantic's parser reads it
        version = int(version)
        doc = {**doc, "schema_version": version}
    latest = current_version(event_type)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1 or version > latest:
        raise ContractError(
            "unknown_schema_version", f"{event_type} has no schema_version {version!r} (latest {latest})", doc
        )
    while version < latest:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise ContractError("unknown_schema_version", f"no upcaster for {event_type} v{version}", doc)
        doc = step(doc)
        version = doc["schema_version"]
    return doc


def decode_event(raw: bytes | str) -> Event:
    """Parse bytes into the right event class, upcasting older schema versions.

    An event of the current schema version whose bytes cannot hold a control character is
    validated straight from its JSON (pydantic's parser, a third of the cost of `json.loads`
    and validating the dict: every service decodes every event it reads). Anything else, and
    anything that path refuses, takes the full path below, which says why it is refused; both
    accept the same documents (tests/unit/test_codec_paths.py)."""
    if len(raw) > MAX_EVENT_BYTES:
        raise ContractError("oversized", f"{len(raw)} bytes exceeds the {MAX_EVENT_BYTES}-byte event limit")
    if not may_hold_control(raw.encode() if isinstance(raw, str) else raw):
        try:
            return _ANY_EVENT.validate_json(raw, context={TEXT_CHECKED: True})
        except ValidationError:
            pass  # refused, or an older version to upcast: the full path decides and explains
    return _decode_document(raw)


def _decode_document(raw: bytes | str) -> Event:
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContractError("malformed_json", str(exc)) from None
    if not isinstance(doc, dict) or "event_type" not in doc:
        raise ContractError("not_an_event", "expected a JSON object with an event_type")
    if not isinstance(doc["event_type"], str) or doc["event_type"] not in EVENT_CLASSES:
        raise ContractError("unknown_event_type", f"unknown event_type {doc['event_type']!r}", doc)
    refusal = raw_control(raw, doc)
    if refusal:
        raise ContractError("invalid", f"{doc['event_type']} v{doc.get('schema_version')}: {refusal}", doc)
    doc = upcast(doc)
    try:
        return _ANY_EVENT.validate_python(doc, context={TEXT_CHECKED: True})
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or '(root)'}: {e['msg']}" for e in exc.errors()[:8]
        )
        raise ContractError("invalid", f"{doc['event_type']} v{doc.get('schema_version')}: {errors}", doc) from None


def decode_for_topic(raw: bytes, topic: str) -> Event:
    """Decode and check that this kind of event belongs on `topic`."""
    event = decode_event(raw)
    allowed = _ALLOWED_ON.get(topic)
    if allowed and event.event_type not in allowed:
        raise ContractError(
            "wrong_topic",
            f"{event.event_type} does not belong on {topic}",
            {"event_id": event.event_id, "event_type": event.event_type},
        )
    return event


_ALLOWED_ON: dict[str, frozenset[str]] = {str(t): kinds for t, kinds in TOPIC_EVENTS.items()}


def topic_of(event: Event) -> Topic:
    """Where the platform publishes this event."""
    return EVENT_TOPICS[event.event_type]


def inbound_topic_of(event: Event) -> Topic:
    """Where an outside system (institute, ЦНППМ, assessment platform, provider) submits it.

    Master data goes through the registry first; everything else is submitted where
    the platform reads it.
    """
    topic = EVENT_TOPICS[event.event_type]
    return Topic.REGISTRY_SUBMITTED if topic == Topic.REGISTRY_FACTS else topic
