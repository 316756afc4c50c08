"""The GC watch times every collection into its histogram, per generation."""

from __future__ import annotations

import gc

from rsnms_runtime.gcwatch import GC_PAUSE, GcWatch, watch_gc
from rsnms_runtime.metrics import REGISTRY


def test_every_collection_is_timed_and_the_watch_is_installed_once():
    try:
        watch_gc("gc-test")
        watch_gc("gc-test")
        assert sum(isinstance(cb, GcWatch) for cb in gc.callbacks) == 1
        before = REGISTRY.get_sample_value("rsnms_gc_pause_seconds_count", {"service": "gc-test", "generation": "2"})
        gc.collect()
        after = REGISTRY.get_sample_value("rsnms_gc_pause_seconds_count", {"service": "gc-test", "generation": "2"})
    finally:
        gc.callbacks[:] = [cb for cb in gc.callbacks if not isinstance(cb, GcWatch)]
    assert (after or 0) - (before or 0) == 1
    assert GC_PAUSE is not None
