"""Registry rules and use case: revisions win, replays re-publish, bad facts are refused."""

from __future__ import annotations

from datetime import date

from contracts import (
    EducatorDeparted,
    EducatorLeft,
    EducatorMoved,
    EducatorTransferred,
    ExternalRoute,
    ExternalRouteReported,
    ProgramRecorded,
    ProgramRegistered,
    SupportForm,
    SupportFormReported,
)
from rsnms_runtime.kafka import Incoming
from services.registry.domain.rules import Stored, decide
from services.registry.service import RegistryService
from tests.support.factories import educator_registered

REGION = "RU-TST"


def _incoming(*events):
    return [Incoming(e, "rsnms.registry.submitted", 0, n, e.to_bytes()) for n, e in enumerate(events)]


class FakeStore:
    """In-memory stand-in for RegistryStore (unit tests only)."""

    def __init__(self):
        self.saved = []
        self.state: dict[tuple[str, str], Stored] = {}

    async def load(self, events):
        return {self.key(e): self.state[self.key(e)] for e in events if self.key(e) in self.state}

    @staticmethod
    def key(event):
        from services.registry.adapters.store import RegistryStore

        return RegistryStore.key(event)

    async def save(self, accepted):
        for e, stored in accepted:
            self.saved.append(e)
            rev = getattr(e.payload, "revision", None)
            old = self.state.get(self.key(e))
            left = getattr(e.payload, "left_on", None) or (old.left_on if old else None)
            # the state the use case worked out is the one recomputed here independently
            assert stored == Stored(
                rev or (old.revision if old else 0),
                e.content_hash() if rev else (old.content_hash if old else ""),
                left,
            )
            self.state[self.key(e)] = stored


def test_revision_decisions():
    first = educator_registered(REGION, 1)
    stored = Stored(1, first.content_hash())
    assert decide(first, None).decision == "accepted"
    assert decide(first, stored).decision == "replayed"
    assert decide(educator_registered(REGION, 1, revision=2), stored).decision == "accepted"
    assert decide(first, Stored(2, "other")).decision == "stale"
    conflict = decide(educator_registered(REGION, 1, role="manager"), stored)
    assert conflict.decision == "refused" and "already accepted with other content" in conflict.reason


def test_implausible_facts_are_refused():
    verdict = decide(educator_registered(REGION, 1, birth_year=2000, career_start=date(2010, 9, 1)), None)
    assert verdict.decision == "refused" and "career_start" in verdict.reason
    short = ProgramRegistered.create(
        ProgramRecorded(
            program_id="p1",
            provider_id="iro",
            title="Короткая",
            hours=8,
            competencies=("c",),
            topic="digital",
            register_id="FR-1",
            register_from=date(2024, 1, 1),
        ),
        source="iro",
        region=REGION,
    )
    assert decide(short, None).decision == "refused"


def test_move_after_departure_is_refused():
    eid = educator_registered(REGION, 1).payload.educator_id
    moved = EducatorMoved.create(
        EducatorTransferred(
            educator_id=eid, organization_id="s2", municipality_id="m2", transferred_on=date(2024, 3, 1)
        ),
        source="cnppm",
        region=REGION,
    )
    assert decide(moved, Stored(1, "h", left_on=date(2024, 1, 1))).decision == "refused"
    assert decide(moved, Stored(1, "h", left_on=date(2024, 6, 1))).decision == "accepted"


async def test_use_case_publishes_accepted_and_replayed_facts_but_not_stale_ones():
    store = FakeStore()
    service = RegistryService(store)
    v1, v2 = educator_registered(REGION, 1), educator_registered(REGION, 1, revision=2, organization_id="sch-2")
    out = await service.handle(_incoming(v2, v1))
    assert out.emit == [v2] and out.rejected == []
    assert store.saved == [v2]
    again = await service.handle(_incoming(v2))
    assert again.emit == [v2] and store.saved == [v2]


async def test_use_case_rejects_conflicts_with_a_reason_and_tracks_departures():
    store = FakeStore()
    service = RegistryService(store)
    first = educator_registered(REGION, 3)
    await service.handle(_incoming(first))
    eid = first.payload.educator_id
    left = EducatorDeparted.create(
        EducatorLeft(educator_id=eid, left_on=date(2024, 2, 1)), source="cnppm", region=REGION
    )
    late_move = EducatorMoved.create(
        EducatorTransferred(
            educator_id=eid, organization_id="s9", municipality_id="m9", transferred_on=date(2024, 5, 1)
        ),
        source="cnppm",
        region=REGION,
    )
    out = await service.handle(_incoming(left, late_move, educator_registered(REGION, 3, role="manager")))
    assert out.emit == [left]
    reasons = [r for _, r in out.rejected]
    assert len(reasons) == 2 and "cannot move" in reasons[0] and "other content" in reasons[1]


def test_additive_facts_are_accepted_beside_the_revisioned_record():
    from contracts import CnppmStaffTrained, CnppmStaffTrainedByFederalOperator

    trained = CnppmStaffTrainedByFederalOperator.create(
        CnppmStaffTrained(staff_id="cs-1", program_title="ФО", trained_on=date(2024, 1, 10)),
        source="cnppm",
        region=REGION,
    )
    assert decide(trained, Stored(1, "hash-of-the-staff-record")).decision == "accepted"


def test_world_facts_that_cannot_be_true_are_refused_once_by_the_registry():
    own = SupportFormReported.create(
        SupportForm(
            support_id="f1",
            educator_id="ed-" + "1" * 32,
            kind="mentoring",
            supporter_id="ed-" + "1" * 32,
            confirmed=True,
            started_on=date(2024, 9, 1),
        ),
        source="schools",
        region=REGION,
    )
    verdict = decide(own, None)
    assert verdict.decision == "refused" and "own supporter" in verdict.reason
    later = ExternalRouteReported.create(
        ExternalRoute(
            route_id="r1",
            educator_id="ed-" + "1" * 32,
            diagnosis_id="dx-1",
            source_system="fed",
            developed_on=date(2030, 1, 1),
        ),
        source="fed",
        region=REGION,
    )
    assert decide(later, None).decision == "refused"
