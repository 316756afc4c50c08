"""Warming the bench stack's broker before the clock starts.

A fresh Kafka's JIT compilers (C1, C2) spend about 24 CPU seconds in its first minutes under load;
on the two cores the pipeline bench measures, about 6 of them fell inside the region run's
throughput phase (a third of Kafka's CPU there, docs/benchmarks/pipeline.md, session 11), while
the fold alone, replayed last, met a warm broker. A platform's broker runs for days. The warm-up
is a smaller region through the whole pipeline, on its own topics and groups: the requests the
services, the outside systems and the bench's watch make, as they make them (a synthetic load of
producers and groups left 29 µs per inbound event of JIT in the run).
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rsnms_runtime.localstack import ROOT, LocalStack

COMPILER_THREADS = ("C1 CompilerThre", "C2 CompilerThre")


def jit_cpu_seconds(pid: int) -> float:
    """CPU time the JVM `pid`'s JIT compiler threads have used (0 once it is gone)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, IndexError):
            if (task / "comm").read_text().strip() in COMPILER_THREADS:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def kafka_pid(env: dict[str, str]) -> int | None:
    with contextlib.suppress(OSError, ValueError, KeyError):
        return int(Path(env["RSNMS_STACK_DIR"], "kafka.pid").read_text())
    return None


async def warm_pipeline(stack: LocalStack, http_ports: Iterable[int]) -> dict[str, Any]:
    """A smaller region (`SPECS["warmup"]`, about 22,000 inbound events) through the four services
    with their own topics and groups, its figures dropped; what Kafka's JIT compilers used
    meanwhile."""
    from bench.pipeline import run_pipeline

    pid = kafka_pid(stack.env)
    before, started = jit_cpu_seconds(pid) if pid else 0.0, time.monotonic()
    with contextlib.redirect_stdout(io.StringIO()):
        await run_pipeline(
            stack.kafka,
            stack.mongodb,
            "warmup",
            ROOT / ".stack-bench" / "warmup",
            http_ports,
            rate=0,
            env=stack.env,
            regions=["RU-W00"],
        )
    return {
        "seconds": time.monotonic() - started,
        "jit_cpu_seconds": (jit_cpu_seconds(pid) - before) if pid else 0.0,
    }
