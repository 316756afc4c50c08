"""Where a service's memory goes, for operators and the pipeline benchmark: with
`RSNMS_TRACEMALLOC_DIR` set, the process traces its allocations from the start (tracemalloc,
several times slower) and writes, when it stops, the live allocations grouped by source line
and by file to `<dir>/<service>-<pid>.txt`."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

ENV = "RSNMS_TRACEMALLOC_DIR"
TOP = 40


def start_if_asked() -> None:
    if os.environ.get(ENV) and not tracemalloc.is_tracing():
        tracemalloc.start(4)


def write_if_asked(service: str) -> Path | None:
    """The report of what is allocated now (None when not tracing)."""
    directory = os.environ.get(ENV)
    if not directory or not tracemalloc.is_tracing():
        return None
    snapshot = tracemalloc.take_snapshot()
    current, peak = tracemalloc.get_traced_memory()
    lines = [f"{service}: traced now {current / 2**20:,.1f} MB, traced peak {peak / 2**20:,.1f} MB"]
    for group in ("lineno", "filename", "traceback"):
        lines.append(f"\n## by {group}")
        for stat in snapshot.statistics(group)[: TOP if group != "traceback" else 10]:
            lines.append(str(stat))
            if group == "traceback":
                lines.extend(f"    {frame}" for frame in stat.traceback.format())
    path = Path(directory) / f"{service}-{os.getpid()}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path
