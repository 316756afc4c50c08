"""The pipeline bench starts its latency phase on a platform at rest (`bench.pipeline.at_rest`):
it waits while the platform's processes are busy, and no longer than it is told."""

from __future__ import annotations

from typing import Any

from bench.pipeline import AT_REST_SHARE, at_rest


class Processes:
    """CPU seconds of the platform's processes, growing by `busy` per sample while any are left;
    the live tables behind, one fewer per sample."""

    def __init__(self, busy: list[float], behind: int = 0):
        self.busy, self.total, self.behind = busy, 0.0, behind

    def tables_behind(self) -> int:
        self.behind = max(0, self.behind - 1)
        return self.behind

    def cpu_seconds(self) -> dict[str, float]:
        self.total += self.busy.pop(0) if self.busy else 0.0
        return {"routes": self.total / 2, "kafka": self.total / 2}


async def test_it_waits_while_the_processes_are_busy() -> None:
    every = 0.01
    processes: Any = Processes([0.0, every, every, every])  # a core's worth three samples in a row
    waited = await at_rest(processes, longest=5, every=every)
    assert processes.busy == []
    assert waited < 5


async def test_a_platform_at_rest_is_not_waited_for_and_a_busy_one_no_longer_than_told() -> None:
    quiet: Any = Processes([0.0, 0.001 * AT_REST_SHARE])
    assert await at_rest(quiet, longest=5, every=0.01) < 1
    busy: Any = Processes([0.0] + [1.0] * 1000)
    assert 0.05 <= await at_rest(busy, longest=0.05, every=0.01) < 1


async def test_it_waits_for_the_live_tables_of_a_quiet_platform() -> None:
    processes: Any = Processes([], behind=4)
    await at_rest(processes, longest=5, every=0.01)
    assert processes.behind == 0
