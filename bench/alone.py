"""One service alone over the topics a pipeline run left (a fresh consumer group and database),
in its own process, to compare what each service costs per event with the indicators fold
(`bench.worker`) on the same events, without the other services competing for the two cores:

    python -m bench.alone --service registry|diagnostics|routes --prefix P

It reads until its group has committed everything and prints JSON: events, seconds (first
assignment to last commit), CPU seconds of the process and peak memory. What it emits is
serialised as for the broker (bytes and headers) and dropped: a replay must not publish the
run's events again, and the publishing a service does is measured in the pipeline itself.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import resource
import time
from collections.abc import AsyncIterable, Callable, Iterable, Sequence
from typing import Any

from contracts import DeadLetter, Event
from rsnms_runtime.cli import consumer_lag
from rsnms_runtime.kafka import event_headers
from rsnms_runtime.settings import Settings

SERVICES = ("registry", "diagnostics", "routes")


class Dropped:
    """A publisher that serialises what it is given, as the broker's would, and drops it."""

    def __init__(self) -> None:
        self.events = 0

    def _take(self, event: Event) -> None:
        event.to_bytes()
        event_headers(event)
        self.events += 1

    async def publish(self, event: Event, topic: str | None = None) -> None:
        self._take(event)

    async def publish_many(self, events: Sequence[tuple[Event, Any]]) -> None:
        for event, _ in events:
            self._take(event)

    async def publish_all(
        self,
        events: Iterable[Event] | AsyncIterable[Event],
        inbound: bool = False,
        window: int = 0,
        topic: str | None = None,
    ) -> int:
        n = self.events
        if isinstance(events, AsyncIterable):
            async for event in events:
                self._take(event)
        else:
            for event in events:
                self._take(event)
        return self.events - n

    async def dead_letter(self, letter: DeadLetter) -> None:
        letter.model_dump_json()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def caught_up(settings: Settings, progress: Callable[[], object], idle: float) -> dict[Any, tuple[int, int]]:
    """Until `progress()` has not changed for `idle` seconds and the group has committed
    everything (an instance may get nothing to do: its partitions drained before it joined);
    the group's (committed offset, lag) per partition."""
    quiet_since, last = time.perf_counter(), progress()
    while True:
        await asyncio.sleep(0.2)
        if (now := progress()) != last:
            last, quiet_since = now, time.perf_counter()
            continue
        if time.perf_counter() - quiet_since > idle:
            lag = (await consumer_lag(settings)).get(settings.group_id, {})  # empty until it committed
            if lag and sum(v[1] for v in lag.values()) == 0:
                return lag


async def run(service: str, prefix: str, idle: float) -> dict[str, float]:
    settings = Settings(service=service, mongodb_db_prefix=prefix, group_prefix=prefix, log_level="WARNING")
    build = importlib.import_module(f"services.{service}.entrypoints.app").build
    runtime = build(settings, publisher=Dropped())
    await runtime.start()
    cpu_start = cpu_seconds()
    consumer = runtime.consumers[0]
    try:
        lag = await caught_up(settings, lambda: consumer.last_committed_at, idle)
        cpu = cpu_seconds() - cpu_start
    finally:
        await runtime.stop()
    return {
        "events": sum(v[0] for v in lag.values()),
        "seconds": (consumer.last_committed_at or 0.0) - (consumer.first_assigned_at or 0.0),
        "cpu_seconds": cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--service", choices=SERVICES, required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--idle", type=float, default=2.0, help="seconds without progress that mean 'caught up'")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print(json.dumps(asyncio.run(run(args.service, args.prefix, args.idle))))


if __name__ == "__main__":
    main()
