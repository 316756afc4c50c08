"""Use case of the registry (реестр): accept submitted master data, keep the current
state, re-publish validated facts for the other services.

Facts are re-published with their original envelope (same `event_id`), so consumers
de-duplicate replays; a redelivered batch re-publishes what it accepted before.
"""

from __future__ import annotations

from contracts import Event
from rsnms_runtime.kafka import Incoming, Outcome
from services.registry.adapters.store import RegistryStore
from services.registry.domain.rules import Stored, after, decide


class RegistryService:
    def __init__(self, store: RegistryStore):
        self._store = store

    async def handle(self, batch: list[Incoming]) -> Outcome:
        stored = await self._store.load(i.event for i in batch)
        outcome = Outcome()
        accepted: list[tuple[Event, Stored]] = []
        for inc in batch:
            event = inc.event
            key = self._store.key(event)
            verdict = decide(event, stored.get(key))
            if verdict.decision == "refused":
                outcome.rejected.append((inc, verdict.reason))
                continue
            if verdict.decision == "stale":
                continue
            if verdict.decision == "accepted":
                stored[key] = after(event, stored.get(key), inc.digest)
                accepted.append((event, stored[key]))
            outcome.emit.append(event)
        await self._store.save(accepted)
        return outcome
