"""Order of an educator's diagnoses, and which one is the previous of a new session.

Sessions are ordered by the day they were taken, then by session id (two sessions on one
day: the greater id is the later one). The order key is a string whose comparison is that
order, so the store can compare it too (the latest pointer only moves forward).

The previous diagnosis of a session is the latest one strictly before it. A result that
arrives late (older than the educator's latest diagnosis) is compared with the one before
it, not with a later one; the diagnoses already emitted are not revised.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from contracts import Diagnosis

#: sorts after every character of a session id (ID_PATTERN: letters, digits, '.', '_', ':', '-')
SEPARATOR = "|"


def order_key(taken_on: date, session_id: str) -> str:
    """'YYYY-MM-DD|session': string order == (day, session id) order."""
    return f"{taken_on.isoformat()}{SEPARATOR}{session_id}"


def order_of(diagnosis: Diagnosis) -> str:
    return order_key(diagnosis.diagnosed_on, diagnosis.session_id)


def previous_of(known: Iterable[Diagnosis], order: str) -> Diagnosis | None:
    """The latest of `known` strictly before `order`, or None."""
    earlier = [d for d in known if order_of(d) < order]
    return max(earlier, key=order_of) if earlier else None


def latest_of(known: Iterable[Diagnosis]) -> Diagnosis | None:
    known = list(known)
    return max(known, key=order_of) if known else None


def needs_history(latest_order: str | None, orders: Iterable[str]) -> bool:
    """Whether some of `orders` (an educator's new sessions, in arrival order) is older than
    the latest diagnosis known before it: then the latest alone cannot tell its previous and
    the educator's whole history must be read."""
    high = latest_order
    for order in orders:
        if high is not None and order < high:
            return True
        high = order if high is None else max(high, order)
    return False
