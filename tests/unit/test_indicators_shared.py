"""The indicators' records share the values many of them repeat (days, organizations,
conducting centres, diagnosis facts), whether folded from decoded events or read back from
their documents: a national state holds millions of them (`records.shared`)."""

from __future__ import annotations

from datetime import date

from contracts import DeficitDiagnosed, Diagnosis, Event
from contracts.codec import decode_event
from services.indicators.adapters.documents import decode, encode
from services.indicators.domain.fold import fold
from services.indicators.domain.records import EducatorRecord, RegionState
from services.indicators.repository import EntityKey
from tests.support.factories import educator_registered

R = "RU-SHR"


def diagnosed(n: int, educator: str) -> DeficitDiagnosed:
    dx = Diagnosis(
        diagnosis_id=f"dx-{n}",
        session_id=f"s-{n}",
        educator_id=educator,
        role="teacher",
        kind="initial",
        diagnosed_on=date(2024, 10, 1),
        framework_id="ps-teacher-2024",
        scores={"digital_safety": 40.0},
        deficits=[],
        conducted_by="cnppm",
    )
    return DeficitDiagnosed.create(dx, source="rsnms-diagnostics", region=R)


def decoded(event: Event) -> Event:
    """The event as a consumer gets it: decoded from its bytes, with its own copy of each value."""
    return decode_event(event.to_bytes())


def two_educators() -> tuple[RegionState, list[str]]:
    state = RegionState(R)
    ids = []
    for n in (1, 2):
        reg = educator_registered(R, n, organization_id="sch-7", registered_on=date(2024, 9, 2))
        ids.append(reg.payload.educator_id)
        for event in (reg, diagnosed(n, reg.payload.educator_id)):
            fold(state, decoded(event))
    return state, ids


def test_folded_records_share_repeated_values():
    state, (a, b) = two_educators()
    first, second = state.educators[a], state.educators[b]
    assert first.fact is not None and second.fact is not None
    assert first.fact.organization_id is second.fact.organization_id
    assert first.fact.registered_on is second.fact.registered_on
    assert first.fact.educator_id is not second.fact.educator_id  # an entity's own id is its own
    assert first.diagnoses["dx-1"] is second.diagnoses["dx-2"]  # same day, same centre: one fact


def test_records_read_back_share_them_too():
    state, (a, b) = two_educators()
    back = []
    for educator in (a, b):
        record = decode("educator", encode(EntityKey(R, "educator", educator), state.educators[educator]))
        assert isinstance(record, EducatorRecord)
        back.append(record)
    assert back[0].fact is not None and back[1].fact is not None
    assert back[0].fact.municipality_id is back[1].fact.municipality_id
    assert back[0].diagnoses["dx-1"] is back[1].diagnoses["dx-2"]
    assert back[0] == state.educators[a] and back[1] == state.educators[b]
