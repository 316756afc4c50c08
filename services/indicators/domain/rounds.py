"""Monitoring rounds (туры мониторинга): which events are late for a closed round, and what a
new version changes. Pure.

A round is frozen when the ministry closes it (version 1). An event that reaches the platform
afterwards but is dated (in the world) on or before the round's reporting date, at a log
position the latest version did not include, is *late*: it produces a new version with the
reason, never an overwrite of the earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from contracts import Event, IndicatorChange, IndicatorValue, KafkaPosition, LateEvent
from services.indicators.domain.russian import day

#: payload fields that date a fact in the world, in the order they are looked for
DATE_FIELDS = (
    "effective",
    "registered_on",
    "employed_from",
    "formed_on",
    "opened_on",
    "dissolved_on",
    "period_from",
    "started_on",
    "attached_from",
    "developed_on",
    "transferred_on",
    "left_on",
    "diagnosed_on",
    "assigned_on",
    "closed_on",
    "completed_on",
    "trained_on",
    "enrolled_on",
    "taken_on",
)


#: payload class -> the field that dates it (None: it has none); looked up once per class
_DATE_FIELD_OF: dict[type, str | None] = {}


def _date_field(payload_type: type) -> str | None:
    if payload_type not in _DATE_FIELD_OF:
        fields = getattr(payload_type, "model_fields", {})
        _DATE_FIELD_OF[payload_type] = next((name for name in DATE_FIELDS if name in fields), None)
    return _DATE_FIELD_OF[payload_type]


def dated(event: Event) -> date:
    """The date an event took effect in the world: its payload's own date field, else the day
    it occurred (registry facts without a date of their own, or a date field left empty)."""
    payload: Any = event.payload
    name = _date_field(type(payload))
    value = getattr(payload, name) if name else None
    return value if isinstance(value, date) else event.occurred_at.date()


@dataclass(frozen=True)
class ClosedRound:
    """What late detection needs of a closed round: its date and what its latest version includes."""

    region: str
    round_id: str
    reporting_date: date
    #: (topic, partition) -> the next offset the latest version includes
    positions: Mapping[tuple[str, int], int]


def positions_map(positions: Iterable[KafkaPosition]) -> dict[tuple[str, int], int]:
    return {(p.topic, p.partition): p.offset for p in positions}


def late_for(
    rounds: Sequence[ClosedRound], event: Event, topic: str, partition: int, offset: int
) -> list[tuple[ClosedRound, LateEvent]]:
    """The closed rounds of the event's region for which it is late."""
    out = []
    when = None
    for r in rounds:
        if r.region != event.region or offset < r.positions.get((topic, partition), 0):
            continue
        when = when or dated(event)
        if when <= r.reporting_date:
            late = LateEvent(
                event_id=str(event.event_id),
                event_type=event.event_type,
                dated=when,
                topic=topic,
                partition=partition,
                offset=offset,
            )
            out.append((r, late))
    return out


def covered(late: LateEvent, positions: Mapping[tuple[str, int], int]) -> bool:
    """Whether positions include the late event (its offset lies before the next offset)."""
    return late.offset < positions.get((late.topic, late.partition), 0)


def changes(before: Sequence[IndicatorValue], after: Sequence[IndicatorValue]) -> tuple[IndicatorChange, ...]:
    """The indicator values (numerator, denominator) that differ between two versions."""
    old = {(v.indicator, v.scope_kind, v.scope_id): (v.numerator, v.denominator) for v in before}
    new = {(v.indicator, v.scope_kind, v.scope_id): (v.numerator, v.denominator) for v in after}
    return tuple(
        IndicatorChange(indicator=k[0], scope_kind=k[1], scope_id=k[2], before=old.get(k), after=new.get(k))
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    )


def first_reason(closed_on: date, signed_by: str) -> str:
    return f"Тур закрыт региональным органом управления образованием {day(closed_on)} (подписал: {signed_by})."


def late_reason(reporting_date: date, late: Sequence[LateEvent], changed: int) -> str:
    """Why a new version exists (Russian), naming the late events by type."""
    kinds: dict[str, int] = {}
    for e in late:
        kinds[e.event_type] = kinds.get(e.event_type, 0) + 1
    listed = ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items()))
    return (
        f"После закрытия тура поступили события, датированные не позднее даты отчёта {day(reporting_date)}: "
        f"{len(late)} ({listed}); изменилось значений показателей: {changed}."
    )
