"""Validation rules for master data (мастер-данные) beyond the contract's field checks,
and the decision whether a submitted fact changes the registry.

Pure: no I/O. The registry keeps, per entity, the highest revision it accepted and
the hash of its content; a fact is
- *accepted* when it is new or carries a higher revision,
- *replayed* when it repeats what is stored (same revision and content): re-published
  again so that a crash between storing and publishing loses nothing,
- *stale* when a higher revision is already stored (ignored, nothing to publish),
- *refused* when it breaks a rule or re-uses a revision with other content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from contracts import (
    CnppmStaffTrainedByFederalOperator,
    EducatorMoved,
    EducatorRegistered,
    Event,
    ExternalRouteReported,
    ProgramRegistered,
    SupportFormReported,
)

Decision = Literal["accepted", "replayed", "stale", "refused"]

MIN_CAREER_AGE = 16


@dataclass(frozen=True)
class Stored:
    """What the registry holds for an entity key."""

    revision: int
    content_hash: str
    left_on: date | None = None


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str = ""


def check_rules(event: Event) -> str | None:
    """A reason to refuse the fact, or None when it is plausible."""
    if isinstance(event, EducatorRegistered):
        educator = event.payload
        if educator.career_start.year < educator.birth_year + MIN_CAREER_AGE:
            return (
                f"career_start {educator.career_start} is before the age of {MIN_CAREER_AGE} "
                f"(birth_year {educator.birth_year})"
            )
    if isinstance(event, ProgramRegistered) and event.payload.register_id is not None and event.payload.hours < 16:
        return "programs in the federal register ФР ДПП have at least 16 hours"
    if isinstance(event, CnppmStaffTrainedByFederalOperator) and event.payload.trained_on > event.occurred_at.date():
        return f"trained_on {event.payload.trained_on} is in the future of the report ({event.occurred_at.date()})"
    if isinstance(event, SupportFormReported) and event.payload.supporter_id == event.payload.educator_id:
        return "a teacher cannot be their own supporter (supporter_id equals educator_id)"
    if isinstance(event, ExternalRouteReported) and event.payload.developed_on > event.occurred_at.date():
        return f"developed_on {event.payload.developed_on} is in the future of the report ({event.occurred_at.date()})"
    return None


def revision_of(event: Event) -> int:
    return int(event.payload.value_of("revision", 1))


def decide(event: Event, stored: Stored | None) -> Verdict:
    reason = check_rules(event)
    if reason:
        return Verdict("refused", reason)
    if isinstance(event, EducatorMoved) and stored is not None and stored.left_on is not None:
        day = event.payload.transferred_on
        if day >= stored.left_on:
            return Verdict("refused", f"educator left on {stored.left_on}; cannot move on {day}")
    if event.payload.value_of("revision") is None:
        return Verdict("accepted")  # additive facts (moves, departures, trainings) carry no revision
    if stored is None:
        return Verdict("accepted")
    revision = revision_of(event)
    if revision > stored.revision:
        return Verdict("accepted")
    if revision < stored.revision:
        return Verdict("stale")
    if event.has_content(stored.content_hash):  # the stored digest may be a legacy one
        return Verdict("replayed")
    return Verdict("refused", f"revision {revision} of {event.key} was already accepted with other content")


def after(event: Event, previous: Stored | None, digest: str | None = None) -> Stored:
    """What the registry holds for the entity once `event` is accepted (`digest`: the event's
    content hash, when it is known already)."""
    left_on = event.payload.value_of("left_on") or (previous.left_on if previous else None)
    if event.payload.value_of("revision") is not None:
        return Stored(revision_of(event), digest or event.content_hash(), left_on)
    return Stored(previous.revision if previous else 0, previous.content_hash if previous else "", left_on)
