"""Counting the event loop's turns while some work runs (unit tests only)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def turns_during(work: Callable[[], Awaitable[Any]]) -> int:
    """How many times the event loop turned while `work` ran."""
    turns, done = 0, asyncio.Event()

    async def ticker() -> None:
        nonlocal turns
        while not done.is_set():
            turns += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = turns
    try:
        await work()
    finally:
        done.set()
        await task
    return turns - before
