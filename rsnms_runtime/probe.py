"""Readiness probe of the infrastructure: Kafka answers a cluster description and
MongoDB answers `ping`. `python -m rsnms_runtime.probe --wait 120` waits for both."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Mapping
from typing import Any

logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


async def kafka_ready(kafka: str | Mapping[str, Any], timeout: float = 5.0) -> str | None:
    """None when ready, else the reason. `kafka`: the bootstrap servers or a client's options."""
    from aiokafka.admin import AIOKafkaAdminClient  # imported here: Ctrl-C while importing stays quiet (main)

    from rsnms_runtime.partitions import client_options

    admin = AIOKafkaAdminClient(**client_options(kafka), request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        cluster = await asyncio.wait_for(admin.describe_cluster(), timeout)
        if not cluster.get("brokers"):
            return "no brokers in the cluster description"
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported as text
        return f"{type(exc).__name__}: {exc}"
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


async def mongodb_ready(uri: str, timeout: float = 5.0) -> str | None:
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[Any] = AsyncMongoClient(uri, serverSelectionTimeoutMS=int(timeout * 1000))
    try:
        await client.admin.command("ping")
        return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    finally:
        await client.close()


async def check(kafka: str, mongodb: str, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        k, m = await asyncio.gather(kafka_ready(kafka), mongodb_ready(mongodb))
        if (k is None and m is None) or time.monotonic() >= deadline:
            print(f"kafka {kafka}: {'healthy' if k is None else 'unhealthy (' + k + ')'}")
            print(f"mongodb {mongodb}: {'healthy' if m is None else 'unhealthy (' + m + ')'}")
            return k is None and m is None
        await asyncio.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kafka", required=True)
    parser.add_argument("--mongodb", required=True)
    parser.add_argument("--wait", type=float, default=0, help="seconds to keep trying")
    args = parser.parse_args()
    try:
        sys.exit(0 if asyncio.run(check(args.kafka, args.mongodb, args.wait)) else 1)
    except KeyboardInterrupt:  # Ctrl-C while `stack up` waits: no traceback
        sys.exit(130)


if __name__ == "__main__":
    main()
