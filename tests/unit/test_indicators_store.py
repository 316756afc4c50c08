"""Documents of the indicators' MongoDB stores, without a database: every kind of record
round-trips through its document, documents are FerretDB-safe (no '.'/'$' keys, no nested
arrays), table documents are keyed by region and date."""

from __future__ import annotations

from datetime import UTC, date, datetime

from contracts import (
    CnppmStaffDeparted,
    ImplementationPeriod,
    IndicatorTable,
    ManagementTeamDissolved,
    OrganizationClosed,
    OrganizationClosure,
    ProgramImplementationReported,
    ProgramRegisterStatusChanged,
    RegisterStatus,
    RoadmapItemStatusChanged,
    RoadmapStatusChange,
    StaffLeft,
    SupportStaffDeparted,
    TeamDissolution,
)
from rsnms_runtime.decode import decoded
from services.indicators.adapters.documents import decode, encode, unsafe_keys
from services.indicators.adapters.table_store import table_document, table_from_document, table_id
from services.indicators.domain.indicators import compute_indicators
from services.indicators.domain.records import ENTITY_KINDS
from services.indicators.repository import EntityKey
from tests.support.indicators import TARGETS, D, R, attach, dx, ed, ev, outside_route, state_of, support
from tests.unit.test_indicators_fold import region_history


def nested_arrays(value) -> bool:
    if isinstance(value, list):
        return any(isinstance(v, list) or nested_arrays(v) for v in value)
    if isinstance(value, dict):
        return any(nested_arrays(v) for v in value.values())
    return False


def test_every_record_round_trips_through_its_document():
    state = state_of(region_history())
    for kind in ENTITY_KINDS:
        for entity_id, record in state.records(kind).items():
            doc = encode(EntityKey(R, kind, entity_id), record)
            assert doc["_id"] == f"{R}:{entity_id}" and doc["region"] == R and doc["id"] == entity_id
            assert unsafe_keys(doc) == [] and not nested_arrays(doc)
            assert decode(kind, doc) == record
    # 2 organizations, 2 programs, 2 methodists, 1 team, 1 ЦНППМ employee, 1 road-map item, 3 educators
    assert sum(len(state.records(k)) for k in ENTITY_KINDS) == 12


def test_table_documents_are_keyed_by_region_and_date_and_safe():
    values = tuple(compute_indicators(state_of(region_history()), R, D, TARGETS))
    table = IndicatorTable(region=R, as_of=D, computed_at=datetime(2025, 1, 1, tzinfo=UTC), values=values)
    doc = table_document(table)
    assert table_id(R, doc["as_of"]) == f"{R}:2024-12-31"
    assert unsafe_keys(doc) == [] and not nested_arrays(doc)
    assert table_from_document(doc) == table
    assert decoded(doc)["packed"] == {"$packed": [v.model_dump(mode="json") for v in values]}  # `rsnms decode`
    # a document written before the values were packed
    legacy = {**{k: v for k, v in doc.items() if k != "packed"}, "values": [v.model_dump(mode="json") for v in values]}
    assert table_from_document(legacy) == table


def test_unsafe_keys_are_found_anywhere():
    assert unsafe_keys({"a": [{"b.c": 1}], "$x": {"ok": 1}}) == ["/a/0/b.c", "/$x"]


def test_records_of_facts_dated_in_the_world_round_trip_through_their_documents():
    events = [
        *region_history(),
        ev(SupportStaffDeparted, StaffLeft(staff_id="m-1", left_on=date(2024, 10, 1))),
        ev(CnppmStaffDeparted, StaffLeft(staff_id="c-1", left_on=date(2024, 10, 1))),
        ev(ManagementTeamDissolved, TeamDissolution(team_id="t1", dissolved_on=date(2024, 10, 1))),
        ev(OrganizationClosed, OrganizationClosure(organization_id="iro", closed_on=date(2024, 10, 1))),
        ev(
            ProgramImplementationReported,
            ImplementationPeriod(program_id="p1", period_from=date(2023, 9, 1), period_to=date(2024, 6, 30)),
        ),
        ev(
            ProgramRegisterStatusChanged, RegisterStatus(program_id="p1", status="excluded", effective=date(2024, 7, 1))
        ),
        ev(RoadmapItemStatusChanged, RoadmapStatusChange(item_id="r1", status="done", effective=date(2024, 5, 1))),
        support(1, supporter="m-1", rev=2),
        support(2, supporter=None, confirmed=False),
        attach(1, "m-1", end=date(2024, 12, 1)),
        outside_route(2),
        dx(3, by="copmkp"),
    ]
    state = state_of(events)
    seen = 0
    for kind in ENTITY_KINDS:
        for entity_id, record in state.records(kind).items():
            doc = encode(EntityKey(R, kind, entity_id), record)
            assert unsafe_keys(doc) == [] and not nested_arrays(doc)
            assert decode(kind, doc) == record
            seen += 1
    assert state.educators[ed(1)].attachments and state.educators[ed(2)].external_routes
    assert state.programs["p1"].periods and state.programs["p1"].register and state.teams["t1"].ended_on
