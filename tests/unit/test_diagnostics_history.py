"""Order of an educator's diagnoses: the order key, the previous of a session, when the
whole history must be read."""

from __future__ import annotations

from datetime import date

from services.diagnostics.domain.diagnosis import diagnose
from services.diagnostics.domain.history import latest_of, needs_history, order_key, order_of, previous_of
from tests.support.diagnostics import FW, result


def dx(session: str, day: date):
    return diagnose(result({"digital_platforms": 50}, session=session, day=day), FW, None)


def test_the_order_key_orders_by_day_then_session_id_as_strings_do():
    pairs = [
        (date(2024, 3, 1), "s-9"),
        (date(2024, 3, 1), "s-10"),
        (date(2024, 2, 28), "zz"),
        (date(2024, 3, 1), "s-1"),
        (date(2024, 3, 1), "s-1.x"),
        (date(2023, 12, 31), "A:b"),
    ]
    assert sorted(pairs) == sorted(pairs, key=lambda p: order_key(*p))


def test_the_previous_is_the_latest_strictly_before():
    a, b, c = dx("a", date(2024, 1, 1)), dx("b", date(2024, 5, 1)), dx("c", date(2024, 9, 1))
    known = [c, a, b]
    assert previous_of(known, order_key(date(2024, 6, 1), "late")) is b
    assert previous_of(known, order_key(date(2025, 1, 1), "new")) is c
    assert previous_of(known, order_key(date(2023, 1, 1), "old")) is None
    assert previous_of(known, order_of(b)) is a  # never itself
    assert latest_of(known) is c and latest_of([]) is None


def test_history_is_needed_only_for_a_result_older_than_one_known_before_it():
    may, sep = order_key(date(2024, 5, 1), "b"), order_key(date(2024, 9, 1), "c")
    jan = order_key(date(2024, 1, 1), "a")
    assert not needs_history(None, [jan, may, sep])
    assert not needs_history(jan, [may, sep])
    assert needs_history(may, [jan])
    assert needs_history(None, [sep, may])  # out of order inside the batch
