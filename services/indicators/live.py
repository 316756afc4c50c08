"""When to recompute a region's live indicator table: a debounce (no I/O, clock injected).

A region changed by a batch is *dirty*. It is recomputed at most once per `interval`
seconds (default 0.5), and the refresher as a whole stays within a CPU share: after a
round of recomputations that took T seconds, the next round waits at least
`T * (1 - share) / share` (default share 0.1: tables never take more than a tenth of the
event loop, however many regions a replay or a catch-up touches at once). A region's table
takes 0.1 s of CPU at 1,000 values and 0.65-1 s at 7,600 (33,000 educators), so under full load
a large region's live table is up to about ten seconds old; at ordinary rates `interval` alone
decides (docs/benchmarks/pipeline.md, session 18).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable


class LiveTables:
    def __init__(self, interval: float = 0.5, share: float = 0.1, clock: Callable[[], float] = time.monotonic):
        if interval < 0 or not 0 < share <= 1:
            raise ValueError("interval must be >= 0 and share in (0, 1]")
        self.interval = interval
        self.share = share
        self._clock = clock
        self.dirty: set[str] = set()
        #: regions whose table was computed from their state but is not yet announced
        self.unannounced: set[str] = set()
        self._next: dict[str, float] = {}
        self._round_after = 0.0
        self._changed = asyncio.Event()

    def mark(self, regions: Iterable[str]) -> None:
        """These regions changed: recompute them when due."""
        before = len(self.dirty)
        self.dirty.update(regions)
        if len(self.dirty) != before:
            self._changed.set()

    def _when(self, region: str) -> float:
        return max(self._next.get(region, 0.0), self._round_after)

    def due(self) -> list[str]:
        """Dirty regions whose turn has come, in a stable order."""
        now = self._clock()
        return sorted(r for r in self.dirty if self._when(r) <= now)

    def delay(self) -> float | None:
        """Seconds until the next dirty region is due (0 = now); None when nothing is dirty."""
        if not self.dirty:
            return None
        return max(0.0, min(self._when(r) for r in self.dirty) - self._clock())

    def started(self, region: str) -> None:
        """The region's table is being recomputed from the current state: no longer dirty."""
        self.dirty.discard(region)
        self.unannounced.add(region)
        self._next[region] = self._clock() + self.interval

    def announced(self, regions: Iterable[str]) -> None:
        """These regions' tables were published (or will be recomputed: `mark`)."""
        self.unannounced.difference_update(regions)

    def behind(self) -> int:
        """Regions whose announced table does not show every change folded yet: dirty, or
        recomputed and not announced (`rsnms_live_tables_behind`)."""
        return len(self.dirty | self.unannounced)

    def round_took(self, seconds: float) -> None:
        """A round of recomputations took `seconds`: hold the next round back to keep the share."""
        self._round_after = self._clock() + seconds * (1 - self.share) / self.share

    async def wait(self) -> None:
        """Until some dirty region is due (a region marked meanwhile wakes the wait early)."""
        while (delay := self.delay()) != 0:
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), delay)
