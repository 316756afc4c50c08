"""The heap keeper freezes the folded state out of the cyclic GC after each batch and still
reclaims cyclic garbage at its periodic full collection; disabled, it touches nothing."""

from __future__ import annotations

import gc
import weakref

from services.indicators.service import HeapKeeper


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


def test_a_disabled_keeper_freezes_nothing():
    gc.unfreeze()
    HeapKeeper(enabled=False).settled()
    assert gc.get_freeze_count() == 0
