"""Prometheus metrics every service exposes on /metrics."""

from __future__ import annotations

import contextlib
from collections import Counter as Tally
from collections.abc import Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

PROCESSED = Counter(
    "rsnms_events_processed_total", "Events applied by a consumer", ["service", "event_type"], registry=REGISTRY
)
DUPLICATES = Counter(
    "rsnms_events_duplicate_total", "Redelivered events recognised and skipped", ["service"], registry=REGISTRY
)
IGNORED = Counter(
    "rsnms_events_ignored_total",
    "Events on a platform topic passed over undecoded: kinds the service does nothing with",
    ["service"],
    registry=REGISTRY,
)
DEAD_LETTERED = Counter(
    "rsnms_events_dead_lettered_total",
    "Events sent to the dead-letter topic",
    ["service", "error_kind"],
    registry=REGISTRY,
)
FAILED = Counter(
    "rsnms_batches_failed_total",
    "Batches whose handler raised (rewound and redelivered)",
    ["service"],
    registry=REGISTRY,
)
EMITTED = Counter("rsnms_events_emitted_total", "Events published by a service", ["service"], registry=REGISTRY)
HANDLER_SECONDS = Histogram(
    "rsnms_batch_handler_seconds",
    "Time to process one batch end to end",
    ["service"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CONSUMER_LAG = Gauge(
    "rsnms_consumer_lag",
    "Messages not yet committed (end offset - committed offset)",
    ["service", "topic", "partition"],
    registry=REGISTRY,
)


def observe_batch(
    service: str,
    records: Sequence[Any],
    applied: Sequence[Any],
    duplicates: int,
    letters: Sequence[Any],
    emitted: int,
    seconds: float,
) -> None:
    for event_type, n in Tally(inc.event.event_type for inc in applied).items():
        PROCESSED.labels(service, event_type).inc(n)
    if duplicates:
        DUPLICATES.labels(service).inc(duplicates)
    for letter in letters:
        DEAD_LETTERED.labels(service, letter.error_kind).inc()
    if emitted:
        EMITTED.labels(service).inc(emitted)
    HANDLER_SECONDS.labels(service).observe(seconds)


def set_lag(service: str, lags: dict[tuple[str, int], int], previous: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """Set the lag of the partitions a consumer owns now; drop those it no longer owns."""
    for topic, partition in previous - lags.keys():
        with contextlib.suppress(KeyError):
            CONSUMER_LAG.remove(service, topic, str(partition))
    for (topic, partition), lag in lags.items():
        CONSUMER_LAG.labels(service, topic, str(partition)).set(lag)
    return set(lags)


CONSUMER_STUCK = Gauge(
    "rsnms_consumer_stuck",
    "1 while a partition has lag and its committed offset has not moved for longer than RSNMS_STUCK_AFTER_S",
    ["service", "topic", "partition"],
    registry=REGISTRY,
)


def set_stuck(service: str, stuck: set[tuple[str, int]], known: set[tuple[str, int]]) -> None:
    """1 for the stuck partitions, 0 for the other partitions the consumer knows."""
    for topic, partition in known | stuck:
        CONSUMER_STUCK.labels(service, topic, str(partition)).set(1 if (topic, partition) in stuck else 0)
