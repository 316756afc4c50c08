"""Keeping the cyclic garbage collector off what a service holds: every consumer's batch ends
with the heap frozen (`HeapKeeper`, one per process, `ServiceRuntime.heap`), and a full
collection runs now and then, less often while it finds next to nothing."""

from __future__ import annotations

import gc


class HeapKeeper:
    """Keeps the cyclic garbage collector off a service's long-lived state.

    The state of a national replay is millions of long-lived objects that the GC would
    traverse again and again (docs/decisions/runtime-costs.md). After each batch the heap is
    frozen (`gc.freeze`); once `full_every` events have been processed since the last time, it is
    unfrozen and fully collected, so cyclic garbage that was alive at a freeze is still
    reclaimed. Counted in events, not batches: the garbage comes with the events, and a full
    collection pauses the service for about a second per few hundred MB of heap (at 500
    events/s in batches of ~50, every 500 batches was every 10 s, docs/benchmarks/pipeline.md).

    A full collection that reclaims fewer than `worth` objects doubles the interval to the next
    (up to `longest`); one that reclaims more brings it back to `full_every`. On a national
    state each took 1.5-15 s and reclaimed 0-301 objects."""

    def __init__(
        self, enabled: bool = True, full_every: int = 2_000_000, worth: int = 10_000, longest: int = 256_000_000
    ):
        self.enabled = enabled
        self.full_every = full_every
        self.worth = worth
        self.longest = longest
        #: events between two full collections, as it stands
        self.interval = full_every
        self._events = 0

    def settled(self, events: int = 0) -> None:
        """After a batch of `events` (or the state's load)."""
        if not self.enabled:
            return
        self._events += events
        if self._events >= self.interval:
            gc.unfreeze()
            found = gc.collect()
            self._events = 0
            self.interval = self.full_every if found >= self.worth else min(self.interval * 2, self.longest)
        gc.freeze()
