"""Guessing passwords is slowed down: after a few failed sign-ins of one login (or from one
address) within a window, further attempts are refused until the window has passed."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable


class Throttle:
    def __init__(self, clock: Callable[[], float], attempts: int = 5, window_s: float = 900.0):
        self._clock, self._attempts, self._window = clock, attempts, window_s
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self._clock()
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures

    def blocked(self, *keys: str) -> bool:
        return any(len(self._recent(k)) >= self._attempts for k in keys)

    def failed(self, *keys: str) -> None:
        for key in keys:
            self._recent(key).append(self._clock())
        if len(self._failures) > 100_000:  # bounded memory: forget the oldest keys
            for key in list(self._failures)[:50_000]:
                del self._failures[key]

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
