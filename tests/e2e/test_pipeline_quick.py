"""The quick variant of the pipeline bench (`python -m bench pipeline --scale quick`) as a
correctness test: the four services as separate processes, once with one instance of each and
once with two instances of each in one consumer group, fed a generated region as its outside
systems would. Every indicator equals the independent recomputation from the raw events, every
inbound event is applied once (one re-published fact per registry fact, one diagnosis per
result, no event of the platform published twice), and both runs give the same indicators
where their inputs are the same. Nothing is timed."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from bench.pipeline import AS_OF, INPUTS, Fed, Pipeline, read_events, run_pipeline
from contracts import DeficitDiagnosed, DiagnosticResultSubmitted, Topic
from services.indicators.adapters.store import IndicatorStore
from services.indicators.domain.indicators import compute
from services.indicators.domain.targets import Targets
from tests.e2e.platform import free_port
from tests.e2e.reference import recompute
from tests.support.factories import region_code
from tests.support.kafka import eventually

pytestmark = [pytest.mark.infra, pytest.mark.e2e]

PLATFORM_TOPICS = [str(Topic.REGISTRY_FACTS), str(Topic.DEFICITS), str(Topic.ROUTES)]


async def _table(run: Pipeline, region: str) -> dict[tuple[str, str, str], tuple[int, int]]:
    """The region's indicators from the indicators' stored state, which every instance appends
    to (an instance's HTTP table shows only what its own partitions folded)."""
    client: AsyncMongoClient = AsyncMongoClient(run.mongodb)
    try:
        states, _ = await IndicatorStore(client[f"{run.prefix}_indicators"]).load()
    finally:
        await client.close()
    out = {}
    for v in compute(states[region], AS_OF, Targets({}).for_region(region)):
        out[(v.indicator, v.scope_kind, v.scope_id)] = (v.numerator, v.denominator)
        if v.indicator == "E1" and v.scope_kind == "region":
            out[("E1max", "region", region)] = (int(v.extra["max_load"]), 0)
    return out


async def _run(infra: Any, tmp_path: Any, instances: int, region: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def check(run: Pipeline, fed: Fed) -> None:
        events = await read_events(run.kafka, INPUTS["indicators"], region)
        found["expected"] = recompute(events, region, AS_OF)
        found["actual"] = await _table(run, region)
        platform = await read_events(run.kafka, PLATFORM_TOPICS, region)
        found["twice"] = [
            f"{i} {kind}"
            for (i, kind), n in Counter((str(e.event_id), e.event_type) for e in platform).items()
            if n > 1
        ]
        inbound = [e for r in fed.regions for e in r.inbound]
        facts = Counter(str(e.event_id) for e in platform if e.event_type in {x.event_type for x in inbound})
        found["facts"] = [
            str(e.event_id)
            for e in inbound
            if e.event_type != "DiagnosticResultSubmitted" and facts[str(e.event_id)] != 1
        ]
        sessions = Counter(e.payload.session_id for e in platform if isinstance(e, DeficitDiagnosed))
        found["sessions"] = [
            e.payload.session_id
            for e in inbound
            if isinstance(e, DiagnosticResultSubmitted) and sessions[e.payload.session_id] != 1
        ]
        found["progress"] = len(fed.progress)
        assert run.services is not None
        services = run.services

        async def tables_published() -> bool:
            return services.tables_behind() == 0  # None: the indicators do not say

        await eventually(tables_published, timeout=60)

    result = await run_pipeline(
        infra.kafka,
        infra.mongodb,
        "quick",
        tmp_path / f"x{instances}",
        [free_port() for _ in range(4 * instances)],
        instances=instances,
        rate=0,
        env=infra.env,
        regions=[region],
        check=check,
    )
    return {**found, "result": result}


def _normalised(table: dict, region: str) -> dict:
    return {(k[0], k[1], "REGION" if k[2] == region else k[2]): v for k, v in table.items()}


async def test_the_quick_pipeline_matches_the_reference_with_one_and_with_two_instances_of_each_service(
    infra, tmp_path
):
    runs = {}
    for instances in (1, 2):
        region = region_code()
        got = await _run(infra, tmp_path, instances, region)
        assert got["progress"] > 50, "the providers should have reported on the routes"
        mismatched = {
            k: (got["expected"].get(k), got["actual"].get(k))
            for k in set(got["expected"]) | set(got["actual"])
            if got["expected"].get(k) != got["actual"].get(k)
        }
        assert not mismatched, f"{instances} instance(s): {len(mismatched)} indicator values differ: {mismatched}"
        assert not got["twice"], f"{instances} instance(s): platform events published twice: {got['twice'][:5]}"
        assert not got["facts"], f"{instances} instance(s): registry facts not re-published once: {got['facts'][:5]}"
        assert not got["sessions"], f"{instances} instance(s): results not diagnosed once: {got['sessions'][:5]}"
        runs[instances] = _normalised(got["actual"], region)
    # the providers report on the routes the platform built, and which programs a route offers
    # depends on whether the catalogue facts (another topic) were folded first, so the runs'
    # inputs differ from the routes on: the indicators that do not depend on them must be equal
    # between the runs, and every indicator of each run equals the recomputation from its events
    upstream = {"I1", "I6", "E2", "RM"}
    assert {k: v for k, v in runs[1].items() if k[0] in upstream} == {
        k: v for k, v in runs[2].items() if k[0] in upstream
    }
