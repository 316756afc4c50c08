"""Which failures are worth retrying, and the bounded retry with back-off.

Transient: the broker or the database did not answer (connection lost, timeouts, leader moving,
server selection) — the same call may well succeed a moment later. Everything else (a message the
broker refuses as too large, a bug, a validation error, a duplicate key) fails the same way every
time: retrying it would only stop the partition."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiokafka import errors as kafka_errors
from pymongo import errors as mongo_errors

from rsnms_runtime.logging import get_logger

log = get_logger(__name__)
T = TypeVar("T")


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` says the infrastructure was unavailable (so a retry may succeed)."""
    if isinstance(exc, kafka_errors.KafkaError):
        return bool(getattr(exc, "retriable", False)) or isinstance(
            exc, (kafka_errors.KafkaConnectionError, kafka_errors.KafkaTimeoutError, kafka_errors.NodeNotReadyError)
        )
    if isinstance(exc, mongo_errors.PyMongoError):
        return isinstance(exc, mongo_errors.ConnectionFailure) or exc.has_error_label("RetryableWriteError")
    return isinstance(exc, (ConnectionError, TimeoutError, asyncio.TimeoutError))


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries in all, waiting `first_delay_s`, doubling up to `max_delay_s` in between."""

    attempts: int = 5
    first_delay_s: float = 0.2
    max_delay_s: float = 5.0

    async def run(self, fn: Callable[[], Awaitable[T]], what: str, give_up: Callable[[], bool] | None = None) -> T:
        """Call `fn`; retry transient failures (not once `give_up()` says so). The last failure
        (or any other) propagates."""
        delay = self.first_delay_s
        for attempt in range(1, max(1, self.attempts) + 1):
            try:
                return await fn()
            except Exception as exc:
                if not is_transient(exc) or attempt >= self.attempts or (give_up is not None and give_up()):
                    raise
                log.warning("transient_fault", what=what, attempt=attempt, error=describe(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_delay_s)
        raise AssertionError("unreachable")


DEFAULT_RETRIES = RetryPolicy()


async def with_retries(fn: Callable[[], Awaitable[Any]], what: str) -> Any:
    """`DEFAULT_RETRIES.run(fn, what)`."""
    return await DEFAULT_RETRIES.run(fn, what)
