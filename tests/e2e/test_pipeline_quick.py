"""The quick variant of the pipeline bench (`python -m bench pipeline --scale quick`) as a
correctness test: the four services as separate processes, once with one instance of each and
once with two instances of each in one consumer group, fed a generated region as its outside
systems would. Every indicator equals the independent recomputation from the raw events, every
inbound event is applied once (one re-published fact per registry fact, one diagnosis per
result, no event of the platform published twice), and both runs give the same indicators.
Nothing is timed."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from bench.pipeline import AS_OF, INPUTS, Fed, Pipeline, read_events, run_pipeline
from contracts import DeficitDiagnosed, DiagnosticResultSubmitted, Topic
from tests.e2e.platform import free_port
from tests.e2e.reference import recompute
from tests.support.factories import region_code

pytestmark = [pytest.mark.infra, pytest.mark.e2e]

PLATFORM_TOPICS = [str(Topic.REGISTRY_FACTS), str(Topic.DEFICITS), str(Topic.ROUTES)]


def _table(run: Pipeline, region: str) -> dict[tuple[str, str, str], tuple[int, int]]:
    assert run.services is not None
    table = json.loads(run.services.get("indicators", f"/indicators?region={region}&as_of={AS_OF}"))
    out = {}
    for v in table["values"]:
        out[(v["indicator"], v["scope_kind"], v["scope_id"])] = (v["numerator"], v["denominator"])
        if v["indicator"] == "E1" and v["scope_kind"] == "region":
            out[("E1max", "region", region)] = (int(v["extra"]["max_load"]), 0)
    return out


async def _run(infra: Any, tmp_path: Any, instances: int, region: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def check(run: Pipeline, fed: Fed) -> None:
        events = await read_events(run.kafka, INPUTS["indicators"], region)
        found["expected"] = recompute(events, region, AS_OF)
        found["actual"] = _table(run, region)
        platform = await read_events(run.kafka, PLATFORM_TOPICS, region)
        found["twice"] = [i for i, n in Counter(str(e.event_id) for e in platform).items() if n > 1]
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
    assert runs[1] == runs[2]
