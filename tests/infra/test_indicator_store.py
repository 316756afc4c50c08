"""The indicators' state survives a round trip through the real FerretDB: what a restarted
service loads is what it had folded (and the table it computes is the same)."""

from __future__ import annotations

from datetime import date

import pytest
from pymongo import AsyncMongoClient

from services.indicators.adapters.store import IndicatorStore
from services.indicators.domain.indicators import compute
from services.indicators.domain.state import RegionState, fold
from tests.unit.test_indicators import (
    D, R, TARGETS, done, dx, ev, program, reg, route,
)

pytestmark = pytest.mark.infra


async def test_folded_state_round_trips_through_ferretdb(infra, prefix):
    from contracts import (
        EducatorMoved, EducatorTransferred, ManagementTeamRecorded, ManagementTeamRegistered, Support,
        SupportAssigned, TeamCompletion, TeamProgramCompleted,
    )

    events = [program("p1"), program("q", topic="education_quality_management"), reg(1), reg(2, birth=1995,
              career=date(2023, 9, 1)), dx(1), route(1), done(1),
              ev(EducatorMoved, EducatorTransferred(educator_id="ed-" + f"{1:032x}", organization_id="s2",
                                                    municipality_id="m2", transferred_on=date(2024, 8, 1))),
              ev(SupportAssigned, Support(support_id="s", educator_id="ed-" + f"{2:032x}", form="mentoring",
                                          assigned_on=date(2024, 1, 1), until=date(2026, 8, 31))),
              ev(ManagementTeamRegistered, ManagementTeamRecorded(team_id="t", organization_id="s1",
                                                                  municipality_id="m1", size=3)),
              ev(TeamProgramCompleted, TeamCompletion(team_id="t", program_id="q", completed_on=date(2024, 2, 1)))]
    state = RegionState(R)
    touched = set()
    for e in events:
        touched.add((R, *fold(state, e)))
    client = AsyncMongoClient(infra.mongodb)
    try:
        store = IndicatorStore(client[f"{prefix}_indicators"])
        await store.save({R: state}, touched, {("rsnms.routes.events", 1): 42})
        await store.save({R: state}, touched, {("rsnms.routes.events", 1): 42})  # a replayed batch: same result
        loaded, positions = await store.load()
    finally:
        await client.close()
    assert positions == {("rsnms.routes.events", 1): 42}
    assert loaded[R] == state
    assert compute(loaded[R], D, TARGETS) == compute(state, D, TARGETS)
