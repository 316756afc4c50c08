"""Shared event contracts of the РСНМС platform: envelope, events, topics, codec.

The only package every service imports besides the small common runtime.
"""

from contracts import upcasters as _upcasters  # noqa: F401 - registers the upcasters
from contracts.codec import (
    ALL_EVENTS,
    EVENT_CLASSES,
    EVENT_TOPICS,
    MAX_EVENT_BYTES,
    TOPIC_EVENTS,
    AnyEvent,
    ContractError,
    decode_event,
    decode_for_topic,
    inbound_topic_of,
    topic_of,
    upcast,
    upcaster,
)
from contracts.deadletter import DeadLetter
from contracts.envelope import Event, Record, deterministic_event_id
from contracts.events.diagnostics import *
from contracts.events.indicators import *
from contracts.events.registry import *
from contracts.events.rounds import *
from contracts.events.routes import *
from contracts.events.world import *
from contracts.topics import INBOUND_TOPICS, Topic

__all__ = [
    "ALL_EVENTS",
    "EVENT_CLASSES",
    "EVENT_TOPICS",
    "INBOUND_TOPICS",
    "MAX_EVENT_BYTES",
    "TOPIC_EVENTS",
    "AnyEvent",
    "ContractError",
    "DeadLetter",
    "Event",
    "Record",
    "Topic",
    "decode_event",
    "decode_for_topic",
    "deterministic_event_id",
    "inbound_topic_of",
    "topic_of",
    "upcast",
    "upcaster",
]
