"""The lag gauge keeps one series per partition a consumer owns now."""

from __future__ import annotations

from rsnms_runtime import metrics


def _lag(service: str) -> dict[tuple[str, str], float]:
    return {
        (s.labels["topic"], s.labels["partition"]): s.value
        for family in metrics.REGISTRY.collect()
        if family.name == "rsnms_consumer_lag"
        for s in family.samples
        if s.labels["service"] == service
    }


def test_revoked_partitions_leave_the_gauge_and_others_are_updated():
    owned = metrics.set_lag("lag-unit", {("t", 0): 5, ("t", 1): 0, ("u", 0): 2}, set())
    assert _lag("lag-unit") == {("t", "0"): 5, ("t", "1"): 0, ("u", "0"): 2}
    owned = metrics.set_lag("lag-unit", {("t", 0): 1}, owned)
    assert _lag("lag-unit") == {("t", "0"): 1}
    assert owned == {("t", 0)}
    metrics.set_lag("lag-unit", {}, owned)
    assert _lag("lag-unit") == {}
