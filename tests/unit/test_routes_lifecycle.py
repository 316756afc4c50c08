"""Route lifecycle: draft → active → completed | cancelled, append-only history, illegal
transitions refused without changing anything."""

from __future__ import annotations

from datetime import date

import pytest

from services.routes.domain.builder import build_route
from services.routes.domain.educator import RouteRecord
from services.routes.domain.lifecycle import TRANSITIONS, IllegalTransition, Lifecycle
from tests.support.routes import DAY, deficit, diagnosis, program


def test_the_happy_path_keeps_every_step():
    life = Lifecycle.drafted(DAY, "built")
    life.move("active", DAY, "assigned")
    life.move("completed", date(2024, 6, 1), "done")
    assert [(t.status, t.on) for t in life.history] == [
        ("draft", DAY),
        ("active", DAY),
        ("completed", date(2024, 6, 1)),
    ]


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ((), "completed"),  # a draft cannot complete
        ((), "draft"),
        (("active",), "active"),
        (("active",), "draft"),
        (("active", "completed"), "active"),  # final states are final
        (("active", "completed"), "cancelled"),
        (("active", "cancelled"), "completed"),
        (("cancelled",), "active"),
    ],
)
def test_illegal_transitions_raise_and_change_nothing(path, illegal):
    life = Lifecycle.drafted(DAY, "built")
    for status in path:
        life.move(status, DAY, "step")
    before = list(life.history)
    with pytest.raises(IllegalTransition):
        life.move(illegal, DAY, "illegal")
    assert life.history == before


def test_the_transition_table_is_draft_active_then_final():
    assert {
        "draft": {"active", "cancelled"},
        "active": {"completed", "cancelled"},
        "completed": frozenset(),
        "cancelled": frozenset(),
    } == TRANSITIONS


def test_an_assigned_route_is_drafted_then_activated_and_its_history_only_grows():
    route = build_route(diagnosis(deficit("c1")), [program("p", ["c1"])], set(), 144, False, None)
    record = RouteRecord.assigned(route, "построен по диагностике dx-1")
    assert [h.status for h in record.history] == ["draft", "active"] and record.status == "active"
    assert record.history[0].reason == "построен по диагностике dx-1"
    first = list(record.history)
    record.move("cancelled", date(2024, 5, 1), "заменён")
    assert record.history[:2] == first and record.status == "cancelled"
    with pytest.raises(IllegalTransition):
        record.move("completed", date(2024, 6, 1), "too late")
    assert [h.status for h in record.history] == ["draft", "active", "cancelled"]
