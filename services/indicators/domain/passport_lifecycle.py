"""The passport's life (seed 004): draft → approved by the region → sent to the federal
operator → accepted, or returned with remarks → (approved again or) sent again. Pure.

Each decision is an inbound event signed by the system that made it (the source gate has
already checked that this system may publish this kind of decision for this region); here
only the order is checked. A decision the current status does not allow is refused with a
Russian reason (dead-lettered as `rejected`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from contracts import (
    Event,
    PassportAccepted,
    PassportApproved,
    PassportDecision,
    PassportReturned,
    PassportSent,
    PassportStatusChange,
)

Status = Literal["draft", "approved", "sent", "accepted", "returned"]

#: decision event type -> (the status it leads to, the statuses it may follow)
TRANSITIONS: dict[str, tuple[Status, frozenset[str]]] = {
    "PassportApproved": ("approved", frozenset({"draft", "returned"})),
    "PassportSent": ("sent", frozenset({"approved", "returned"})),
    "PassportAccepted": ("accepted", frozenset({"sent"})),
    "PassportReturned": ("returned", frozenset({"sent"})),
}
DECISIONS = (PassportApproved, PassportSent, PassportAccepted, PassportReturned)

STATUS_TITLES: dict[str, str] = {
    "draft": "черновик",
    "approved": "утверждён регионом",
    "sent": "направлен федеральному оператору",
    "accepted": "согласован федеральным оператором",
    "returned": "возвращён на доработку с замечаниями",
}
ACTION_TITLES: dict[str, str] = {
    "PassportApproved": "утверждение",
    "PassportSent": "направление федеральному оператору",
    "PassportAccepted": "согласование",
    "PassportReturned": "возврат с замечаниями",
}


class TransitionRefused(ValueError):
    """A decision the passport's current status does not allow."""


def status_of(history: Sequence[PassportStatusChange]) -> Status:
    return history[-1].status if history else "draft"


def decide(history: Sequence[PassportStatusChange], event: Event, round_closed: bool) -> PassportStatusChange:
    """The status change a decision makes, or TransitionRefused with the reason."""
    if event.event_type not in TRANSITIONS:
        raise TransitionRefused(f"{event.event_type} is not a passport decision")
    p = event.payload
    if not isinstance(p, PassportDecision):
        raise TransitionRefused(f"{event.event_type} carries no passport decision")
    action = ACTION_TITLES[event.event_type]
    if not round_closed:
        raise TransitionRefused(
            f"паспорт тура {p.round_id}: {action} невозможно — тур мониторинга не закрыт, официального среза ещё нет"
        )
    target, allowed = TRANSITIONS[event.event_type]
    current = status_of(history)
    if current not in allowed:
        raise TransitionRefused(
            f"паспорт тура {p.round_id}: {action} невозможно в статусе «{STATUS_TITLES[current]}» "
            f"(допустимо из: {', '.join('«' + STATUS_TITLES[s] + '»' for s in sorted(allowed))})"
        )
    if history and p.decided_on < history[-1].decided_on:
        raise TransitionRefused(
            f"паспорт тура {p.round_id}: дата решения {p.decided_on.isoformat()} раньше предыдущего решения "
            f"({history[-1].decided_on.isoformat()})"
        )
    return PassportStatusChange(
        round_id=p.round_id,
        sequence=len(history) + 1,
        status=target,
        previous=current,
        decided_on=p.decided_on,
        decided_by=event.source,
        signed_by=p.signed_by,
        remarks=p.remarks,
        decision_event_id=str(event.event_id),
    )
