"""The pipeline bench's timeline of the latency phase: per second sent, the median and the slowest."""

from bench.pipeline import stalls, timeline


def test_timeline_groups_by_the_second_the_event_was_sent() -> None:
    started = 100.0
    samples = [(100.2, 0.1), (100.9, 0.3), (101.5, 2.5), (103.0, 0.2)]
    rows = timeline(samples, started)
    assert [r["at_s"] for r in rows] == [0, 1, 3]
    assert rows[0]["n"] == 2 and round(rows[0]["p50_ms"]) == 200 and round(rows[0]["max_ms"]) == 300
    assert round(rows[1]["max_ms"]) == 2500


def test_stalls_name_the_seconds_with_an_event_slower_than_the_limit() -> None:
    rows = timeline([(0.5, 0.2), (7.1, 1.8), (9.0, 3.2)], 0.0)
    assert stalls(rows) == "+7 s (1,800 ms), +9 s (3,200 ms)"
    assert stalls(rows[:1]) == "none"
