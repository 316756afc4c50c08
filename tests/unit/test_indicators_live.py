"""The live-table debounce: a changed region is recomputed at most every `interval`
seconds, and rounds of recomputation keep to their share of the event loop."""

from __future__ import annotations

import asyncio

import pytest

from services.indicators.live import LiveTables


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_a_region_is_due_at_once_then_at_most_every_interval():
    clock = Clock()
    live = LiveTables(0.5, clock=clock)
    assert live.due() == [] and live.delay() is None
    live.mark(["RU-A", "RU-B"])
    assert live.due() == ["RU-A", "RU-B"] and live.delay() == 0
    live.started("RU-A")
    live.started("RU-B")
    live.mark(["RU-A"])
    clock.t = 0.3
    assert live.due() == [] and live.delay() == pytest.approx(0.2)
    clock.t = 0.5
    assert live.due() == ["RU-A"]  # RU-B did not change again


def test_rounds_keep_to_their_share_of_time():
    clock = Clock()
    live = LiveTables(0.5, share=0.2, clock=clock)
    live.mark(["RU-A"])
    live.started("RU-A")
    live.round_took(1.0)  # a slow region: 1 s of computing -> 4 s of rest at a 20 % share
    live.mark(["RU-A"])
    clock.t = 3.9
    assert live.due() == []
    clock.t = 4.0
    assert live.due() == ["RU-A"]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        LiveTables(-1)
    with pytest.raises(ValueError):
        LiveTables(0.5, share=0)


async def test_wait_returns_when_a_region_is_marked():
    live = LiveTables(0.5)
    waiter = asyncio.create_task(live.wait())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    live.mark(["RU-A"])
    await asyncio.wait_for(waiter, 1)


async def test_wait_sleeps_until_the_region_is_due():
    live = LiveTables(0.05)
    live.mark(["RU-A"])
    live.started("RU-A")
    live.mark(["RU-A"])
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(live.wait(), 1)
    assert asyncio.get_running_loop().time() - started >= 0.04


def test_a_region_is_behind_from_its_change_until_its_table_is_announced():
    live = LiveTables(0.5, clock=Clock())
    assert live.behind() == 0
    live.mark(["RU-A", "RU-B"])
    assert live.behind() == 2
    live.started("RU-A")
    assert live.behind() == 2  # computed, not announced: still behind
    live.mark(["RU-A"])  # changed again meanwhile: counted once
    assert live.behind() == 2
    live.announced(["RU-A"])
    assert live.behind() == 2  # RU-A changed after the announced table was computed
    live.started("RU-A")
    live.started("RU-B")
    live.announced(["RU-A", "RU-B"])
    assert live.behind() == 0
