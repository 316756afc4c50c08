"""How long the cyclic garbage collector stops a service: every collection's pause goes into the
`rsnms_gc_pause_seconds` histogram (per generation), and a long one (`LONG_S` or more) is logged
(`gc_pause`, INFO) with when it happened, to set it against the batches' stage timings."""

from __future__ import annotations

import gc
import time
from typing import Any

from prometheus_client import Histogram

from rsnms_runtime.logging import get_logger
from rsnms_runtime.metrics import REGISTRY

log = get_logger(__name__)

#: a pause at least this long is logged
LONG_S = 0.05

GC_PAUSE = Histogram(
    "rsnms_gc_pause_seconds",
    "Pauses of the cyclic garbage collector",
    ["service", "generation"],
    registry=REGISTRY,
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


class GcWatch:
    """A `gc.callbacks` entry timing each collection."""

    def __init__(self, service: str):
        self.service = service
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        seconds = time.perf_counter() - self._started
        generation = info.get("generation", -1)
        GC_PAUSE.labels(self.service, str(generation)).observe(seconds)
        if seconds >= LONG_S:
            log.info("gc_pause", generation=generation, ms=round(seconds * 1000, 1), collected=info.get("collected"))


def watch_gc(service: str) -> GcWatch:
    """Time every collection of this process (once: a second call replaces the first watch)."""
    gc.callbacks[:] = [cb for cb in gc.callbacks if not isinstance(cb, GcWatch)]
    watch = GcWatch(service)
    gc.callbacks.append(watch)
    return watch
