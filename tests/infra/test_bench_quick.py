"""The benchmarks' quick variant as a correctness check (no timing is asserted): on a private
stack, the generated history folded by one indicators instance and by two instances in one
consumer group (which share the partitions) gives exactly the indicators of an independent recomputation from the raw
events (tests/e2e/reference.py), and each run folds every event once."""

from __future__ import annotations

import os
import uuid

import pytest

from bench.__main__ import FOLDED, full_tables, publish, worker
from bench.history import QUICK, TODAY, history, region_code
from contracts import topic_of
from rsnms_runtime.localstack import LocalStack
from tests.e2e.reference import recompute

pytestmark = pytest.mark.infra


def as_pairs(values: list[dict], region: str) -> dict:
    out = {}
    for v in values:
        out[(v["indicator"], v["scope_kind"], v["scope_id"])] = (v["numerator"], v["denominator"])
        if v["indicator"] == "E1" and v["scope_kind"] == "region":
            out[("E1max", "region", region)] = (int(v["extra"]["max_load"]), 0)
    return out


@pytest.fixture(scope="module")
def bench_stack():
    # 200 above the test stack's ports (RSNMS_TEST_PORTS), so concurrent test runs move both stacks together
    kafka, controller, ferretdb = (
        int(p) + 200 for p in os.environ.get("RSNMS_TEST_PORTS", "19092,19093,17017").split(",")[:3]
    )
    stack = LocalStack(
        os.environ.get("RSNMS_TEST_STACK_NAME", "test") + "-bench", kafka, controller, ferretdb, partitions=6
    )
    stack.fresh_up()
    try:
        yield stack
    finally:
        stack.down()


async def test_quick_bench_folds_every_event_once_and_matches_the_recomputation_for_1_and_2_instances(bench_stack):
    events = list(history(QUICK))
    region = region_code(0)
    published = await publish(bench_stack.kafka, events)
    expected = recompute(events, region, TODAY)
    runs = {}
    for instances in (1, 2):
        prefix = f"bq{instances}" + uuid.uuid4().hex[:6]
        runs[instances] = worker(bench_stack, prefix, instances)
        tables = await full_tables(bench_stack.mongodb, prefix, [region], TODAY)
        assert as_pairs(tables[region], region) == expected, f"{instances} instance(s) differ from the recomputation"
    folded = sum(str(topic_of(e)) in FOLDED for e in events)  # raw progress is the routes service's input
    assert published == len(events) > 500 and folded > 500
    assert [r["events"] for r in runs[1]] == [folded]
    assert sum(r["events"] for r in runs[2]) == folded, runs[2]  # nothing folded twice across a rebalance
