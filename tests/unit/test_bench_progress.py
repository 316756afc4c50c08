"""The pipeline bench reports, while the feed runs, what each group committed and each
service's resident memory (`bench.pipeline.report_progress`)."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

from bench.pipeline import SERVICES, report_progress


async def test_progress_is_printed_and_kept(capsys):
    watch = SimpleNamespace(
        samples={s: [(0.0, 10), (1.0, 1_500)] for s in SERVICES}, ends=dict.fromkeys(SERVICES, 2000)
    )
    services = SimpleNamespace(peak_memory_mb=lambda field: dict.fromkeys(SERVICES, 1234.4) if field == "VmRSS" else {})
    run = SimpleNamespace(watch=watch, services=services)
    kept: list[dict[str, Any]] = []
    task = asyncio.create_task(report_progress(run, time.monotonic(), kept, 0.01))  # type: ignore[arg-type]
    while len(kept) < 2:
        await asyncio.sleep(0.01)
    task.cancel()
    assert kept[0]["routes"] == {"committed": 1_500, "end": 2_000}
    assert kept[0]["memory_mb"]["indicators"] == 1234.4
    line = capsys.readouterr().out.splitlines()[0]
    assert "routes 1,500/2,000" in line and "indicators 1,234 MB" in line
