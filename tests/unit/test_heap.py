"""The heap keeper freezes the folded state out of the cyclic GC after each batch and still
reclaims cyclic garbage at its periodic full collection; disabled, it touches nothing."""

from __future__ import annotations

import gc
import weakref

from rsnms_runtime.heap import HeapKeeper


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic GC can free it


def test_frozen_garbage_survives_until_the_periodic_full_collection():
    keeper = HeapKeeper(full_every=300)
    try:
        node = Node()
        ref = weakref.ref(node)
        keeper.settled(100)  # batch 1: the node, alive, is frozen
        assert gc.get_freeze_count() > 0
        del node
        gc.collect()
        assert ref() is not None, "a frozen cycle is out of the collector's reach"
        keeper.settled(100)  # batch 2
        assert ref() is not None
        keeper.settled(100)  # 300 events: unfreeze and a full collection
        assert ref() is None
    finally:
        gc.unfreeze()


def test_full_collections_that_find_next_to_nothing_come_less_often():
    keeper = HeapKeeper(full_every=100, worth=50, longest=400)
    try:
        gc.collect()
        keeper.settled(100)  # nothing to find: the next one after 200 events
        assert keeper.interval == 200
        keeper.settled(199)
        assert keeper.interval == 200
        keeper.settled(1)
        assert keeper.interval == 400
        nodes = [Node() for _ in range(60)]
        keeper.settled(100)  # alive: frozen
        del nodes
        keeper.settled(300)  # 60 cycles and their dicts found: back to every 100
        assert keeper.interval == 100
        for _ in range(4):
            keeper.settled(400)
        assert keeper.interval == 400, "never longer than `longest`"
    finally:
        gc.unfreeze()


def test_a_disabled_keeper_freezes_nothing():
    gc.unfreeze()
    HeapKeeper(enabled=False).settled()
    assert gc.get_freeze_count() == 0


async def test_every_batch_a_consumer_processes_ends_with_the_heap_settled():
    from types import SimpleNamespace

    from rsnms_runtime.consumer import BatchConsumer, Outcome
    from tests.support.factories import educator_registered
    from tests.support.publisher import RecordingPublisher
    from tests.unit.test_content_hash import FakeLedger

    class Keeper(HeapKeeper):
        def __init__(self) -> None:
            super().__init__(enabled=False)
            self.batches: list[int] = []

        def settled(self, events: int = 0) -> None:
            self.batches.append(events)

    async def handler(batch):
        return Outcome()

    keeper = Keeper()
    consumer = BatchConsumer("heap", handler, RecordingPublisher(), FakeLedger({}), heap=keeper)  # type: ignore[arg-type]
    events = [educator_registered("RU-YEV", n) for n in range(3)]
    records = [
        SimpleNamespace(
            topic="rsnms.registry.facts", partition=0, offset=n, key=e.key.encode(), value=e.to_bytes(), headers=[]
        )
        for n, e in enumerate(events)
    ]
    await consumer.process(records)
    await consumer.process(records[:1])
    assert keeper.batches == [3, 1]
