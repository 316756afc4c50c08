"""One indicators-service instance for the benchmarks, in its own process: it folds until its
consumer group has caught up with every topic, then prints what it measured as JSON.

    python -m bench.worker --prefix P [--expect N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import time

from bench.alone import caught_up, cpu_seconds
from rsnms_runtime.settings import Settings
from services.indicators.entrypoints.app import build


async def run(prefix: str, idle: float) -> dict[str, float]:
    # the service's defaults (batch size, timeout), as deployed
    settings = Settings(service="indicators", mongodb_db_prefix=prefix, group_prefix=prefix, log_level="WARNING")
    runtime = build(settings, gate=None)
    service = runtime.indicators
    started = time.perf_counter()
    await runtime.start()
    ready = time.perf_counter()
    cpu_start = cpu_seconds()
    try:
        lag = await caught_up(settings, lambda: service.folded, idle)
        cpu = cpu_seconds() - cpu_start
    finally:
        await runtime.stop()
    # from the moment partitions were assigned (the first fetch, decode and batch included)
    # to the end of the last batch
    consumer = runtime.consumers[0]
    began = consumer.first_assigned_at or service.first_batch_at or 0
    seconds = (service.last_batch_at or 0) - began
    return {
        "events": service.folded,
        # what the group read from its topics, the kinds passed over undecoded included (one
        # instance: what it read; `bench.alone` counts the services' events so)
        "read": sum(v[0] for v in lag.values()),
        "seconds": seconds,
        "startup_seconds": ready - started,
        "cpu_seconds": cpu,
        "load_seconds": getattr(service, "load_seconds", 0.0),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--idle", type=float, default=2.0, help="seconds without progress that mean 'caught up'")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print(json.dumps(asyncio.run(run(args.prefix, args.idle))))


if __name__ == "__main__":
    main()
