"""Route lifecycle (жизненный цикл ИОМ): draft → active → completed | cancelled, with an
append-only history of every transition."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Status = Literal["draft", "active", "completed", "cancelled"]

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"active", "cancelled"}),
    "active": frozenset({"completed", "cancelled"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}


class IllegalTransition(ValueError):
    pass


@dataclass(frozen=True)
class Transition:
    status: Status
    on: date
    reason: str


@dataclass
class Lifecycle:
    history: list[Transition] = field(default_factory=list)

    @property
    def status(self) -> Status:
        return self.history[-1].status if self.history else "draft"

    def move(self, status: Status, on: date, reason: str) -> None:
        if status not in TRANSITIONS[self.status]:
            raise IllegalTransition(f"route cannot go from {self.status} to {status}")
        self.history.append(Transition(status, on, reason))

    @classmethod
    def drafted(cls, on: date, reason: str) -> Lifecycle:
        return cls([Transition("draft", on, reason)])
