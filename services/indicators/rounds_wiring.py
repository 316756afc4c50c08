"""Composition of monitoring rounds into the indicators service: the rounds' own database
(`<prefix>_rounds`: official versions are records, not a projection, so `rsnms rebuild
indicators` keeps them), the governance consumer, the fold consumer's observer, and the task
that freezes new versions when late events arrive (every RSNMS_ROUND_REVISE_S, default 1 s)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from contracts import Topic
from rsnms_runtime.kafka import BatchHandler, Incoming, Outcome
from rsnms_runtime.service import ServiceRuntime
from services.indicators.adapters.rounds_store import MongoRoundsStore
from services.indicators.rounds_service import RoundsService


def rounds_store(runtime: ServiceRuntime) -> MongoRoundsStore:
    return MongoRoundsStore(runtime.mongo[f"{runtime.settings.mongodb_db_prefix}_rounds"])


def wire_rounds(
    runtime: ServiceRuntime,
    fold: BatchHandler,
    rounds: RoundsService,
    store: MongoRoundsStore,
    forever: Callable[[str, Callable[[], Awaitable[None]], ServiceRuntime], Coroutine[Any, Any, None]],
    every: float = 1.0,
) -> BatchHandler:
    """Start and stop the revision task with the service; the fold handler to subscribe (the
    fold, then the rounds' observer, both before the offsets are committed). The governance
    consumer is `subscribe_governance`."""
    tasks: list[asyncio.Task[None]] = []

    async def folded(batch: list[Incoming]) -> Outcome:
        outcome = await fold(batch)
        await rounds.observe(batch)
        return outcome

    async def revise() -> None:
        await asyncio.sleep(every)
        while not runtime.broker.running:
            await asyncio.sleep(0.1)
        events = await rounds.revise_due()
        await runtime.publisher.publish_all(events)

    async def start() -> None:
        await store.ensure_indexes()
        await rounds.start()
        tasks.append(asyncio.create_task(forever("round_revisions", revise, runtime)))

    async def stop() -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        tasks.clear()

    runtime.on_startup(start)
    runtime.on_shutdown(stop)
    return folded


def subscribe_governance(runtime: ServiceRuntime, rounds: RoundsService) -> None:
    """The governance consumer: its own group (`<group>.governance`), so the fold's positions and
    snapshots stay those of the folded topics."""
    runtime.consume([str(Topic.GOVERNANCE)], rounds.handle, group_suffix=".governance")
