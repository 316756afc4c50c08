"""A rebalance does not redo the batch in flight (issue 13 item 3): a second instance joins the
group while the first is in the middle of a batch; the first's revocation waits for that batch to
finish and commit, so the partitions the second takes over start after it: no event is applied by
both instances, nor handed to the second again (no duplicates)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from contracts import Topic
from rsnms_runtime.service import ServiceRuntime
from tests.infra.test_shutdown import SlowHandler, _caught_up, _duplicates, _publish
from tests.support.factories import educator_registered, region_code
from tests.support.kafka import eventually

pytestmark = pytest.mark.infra
TOPIC = str(Topic.REGISTRY_SUBMITTED)


async def test_a_rebalance_lets_the_batch_in_flight_commit_before_the_partitions_move(infra, prefix, caplog):
    caplog.set_level(logging.INFO, logger="aiokafka.consumer.group_coordinator")
    region = region_code()
    settings = infra.settings(f"reb{prefix}", prefix)
    first_handler, second_handler = SlowHandler(region, hold=True), SlowHandler(region)
    first = ServiceRuntime(settings, gate=None)
    first.consume([TOPIC], first_handler)
    second = ServiceRuntime(settings, gate=None)
    second.consume([TOPIC], second_handler)
    await first.start()
    try:
        await _caught_up(first)  # whatever earlier tests left on the topic
        events = [educator_registered(region, n) for n in range(12)]
        await _publish(infra.kafka, events)
        await asyncio.wait_for(first_handler.entered.wait(), 30)
        caplog.clear()
        # the second's start returns once it joined, which waits for the first to rejoin
        starting = asyncio.create_task(second.start())

        async def revoking():
            return any("Revoking previously assigned partitions frozenset" in r.getMessage() for r in caplog.records)

        await eventually(revoking, timeout=30)  # the first instance is in its revocation now
        first_handler.release.set()
        await asyncio.wait_for(starting, 60)

        async def all_applied():
            applied = {e for _, _, e in first_handler.applied + second_handler.applied}
            return applied >= {str(e.event_id) for e in events}

        await eventually(all_applied, timeout=60)
    finally:
        first_handler.release.set()
        await second.stop()
        await first.stop()
    once = {e for _, _, e in first_handler.applied}
    again = {e for _, _, e in second_handler.applied}
    assert once, "the first instance applied nothing"
    assert not once & again, "the batch in flight during the rebalance was applied again by the new owner"
    # nor handed to the new owner again (its ledger would have recognised it as a duplicate)
    assert _duplicates(settings.service) == 0, "the new owner was handed the batch in flight again"
