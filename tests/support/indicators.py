"""Builders for the indicators service's tests (events of a small region, the fold, the table
as a dict) and in-memory fakes of its repositories that keep documents encoded as MongoDB
would (through adapters.documents), refusing keys FerretDB would refuse."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from contracts import (
    CnppmStaffRecorded,
    CnppmStaffRegistered,
    CnppmStaffTrained,
    CnppmStaffTrainedByFederalOperator,
    Completion,
    Deficit,
    DeficitDiagnosed,
    Diagnosis,
    EducatorDeparted,
    EducatorLeft,
    EducatorMoved,
    EducatorRecorded,
    EducatorRegistered,
    EducatorTransferred,
    Event,
    ExternalRoute,
    ExternalRouteReported,
    IndicatorTable,
    IndicatorValue,
    ManagementTeamRecorded,
    ManagementTeamRegistered,
    MethodistAttachment,
    MethodistAttachmentReported,
    OrganizationRecorded,
    OrganizationRegistered,
    PassportSnapshot,
    ProgramCompletionAccepted,
    ProgramRecorded,
    ProgramRegistered,
    RoadmapItemRecorded,
    RoadmapItemUpdated,
    Route,
    RouteAssigned,
    RouteCancelled,
    RouteClosure,
    RouteCompleted,
    RouteItem,
    SupportForm,
    SupportFormReported,
    SupportStaffRecorded,
    SupportStaffRegistered,
    TeamCompletion,
    TeamCompletionAccepted,
)
from rsnms_runtime.kafka import Incoming
from services.indicators.adapters.documents import decode, encode, unsafe_keys
from services.indicators.adapters.state_store import COMPACT_AFTER
from services.indicators.adapters.table_store import table_document, table_id
from services.indicators.domain.fold import fold, join
from services.indicators.domain.indicators import compute_indicators
from services.indicators.domain.records import ENTITY_KINDS, EntityRef, Record, RegionState
from services.indicators.domain.targets import Targets
from services.indicators.repository import EntityKey, Positions

R = "RU-TST"
D = date(2024, 12, 31)
TARGETS = Targets.from_doc({"default": {"I1": 0.2, "I3": 0.3, "E1": 2}})

Key = tuple[str, str, str]  # (indicator, scope kind, scope id)


def ed(n: int) -> str:
    return f"ed-{n:032x}"


def ev(cls: type[Event], payload: Any, region: str = R) -> Event:
    return cls.create(payload, source="test", region=region)


def reg(
    n: int,
    role: str = "teacher",
    org: str = "s1",
    muni: str = "m1",
    birth: int = 1980,
    career: date = date(2005, 9, 1),
    on: date = date(2020, 1, 1),
    rev: int = 1,
    region: str = R,
) -> Event:
    return ev(
        EducatorRegistered,
        EducatorRecorded(
            educator_id=ed(n),
            role=role,
            organization_id=org,
            municipality_id=muni,
            birth_year=birth,  # type: ignore[arg-type]
            career_start=career,
            registered_on=on,
            revision=rev,
        ),
        region,
    )


def moved(n: int, org: str, muni: str, on: date) -> Event:
    return ev(
        EducatorMoved,
        EducatorTransferred(educator_id=ed(n), organization_id=org, municipality_id=muni, transferred_on=on),
    )


def left(n: int, on: date) -> Event:
    return ev(EducatorDeparted, EducatorLeft(educator_id=ed(n), left_on=on))


def dx(n: int, day: date = date(2024, 3, 1), dxid: str | None = None, region: str = R, by: str = "cnppm") -> Event:
    return ev(
        DeficitDiagnosed,
        Diagnosis(
            diagnosis_id=dxid or f"dx-{n}",
            session_id=f"s{n}",
            educator_id=ed(n),
            role="teacher",
            kind="initial",
            diagnosed_on=day,
            framework_id="fw",
            scores={"c": 40.0},
            deficits=(Deficit(competency="c", area="a", score=40, threshold=60, severity="severe"),),
            conducted_by=by,  # type: ignore[arg-type]
        ),
        region,
    )


def route(
    n: int,
    programs: Iterable[str] = ("p1",),
    day: date = date(2024, 3, 2),
    methodist: str | None = "m-1",
    rid: str | None = None,
    informal: bool = False,
) -> Event:
    items = [
        RouteItem(item_id=f"i{k}", kind="program", program_id=p, hours=36, covers=("c",), reason="x")
        for k, p in enumerate(programs)
    ]
    if informal:
        items.append(RouteItem(item_id="mc", kind="master_class", hours=6, covers=("c",), reason="x"))
    return ev(
        RouteAssigned,
        Route(
            route_id=rid or f"r-{n}",
            educator_id=ed(n),
            diagnosis_id=f"dx-{n}",
            assigned_on=day,
            methodist_id=methodist,
            items=tuple(items),
            total_hours=36,
        ),
    )


def closed(n: int, day: date, rid: str | None = None, cancelled: bool = True) -> Event:
    return ev(
        RouteCancelled if cancelled else RouteCompleted,
        RouteClosure(route_id=rid or f"r-{n}", educator_id=ed(n), closed_on=day, reason="x"),
    )


def program(
    pid: str,
    register_from: date | None = date(2023, 1, 1),
    register_to: date | None = None,
    topic: str = "methodical",
    provider: str = "iro",
    implemented: bool = True,
    rev: int = 1,
) -> Event:
    return ev(
        ProgramRegistered,
        ProgramRecorded(
            program_id=pid,
            provider_id=provider,
            title=pid,
            hours=36,
            competencies=("c",),
            topic=topic,  # type: ignore[arg-type]
            implemented=implemented,
            register_id="FR" if register_from else None,
            register_from=register_from,
            register_to=register_to,
            revision=rev,
        ),
    )


def done(n: int, pid: str = "p1", day: date = date(2024, 6, 1)) -> Event:
    """A completion the routes service accepted (only those count)."""
    return ev(ProgramCompletionAccepted, Completion(educator_id=ed(n), program_id=pid, completed_on=day))


def support(
    n: int,
    assigned: date = date(2024, 1, 1),
    until: date | None = None,
    sid: str | None = None,
    supporter: str | None = "men-1",
    confirmed: bool = True,
    rev: int = 1,
    kind: str = "mentoring",
) -> Event:
    """A support form reported by the school (the supporter must be registered to count)."""
    return ev(
        SupportFormReported,
        SupportForm(
            support_id=sid or f"sup-{n}",
            revision=rev,
            educator_id=ed(n),
            kind=kind,  # type: ignore[arg-type]
            supporter_id=supporter,
            confirmed=confirmed,
            started_on=assigned,
            ended_on=until,
        ),
    )


def mentor(sid: str = "men-1", muni: str = "m1") -> Event:
    return methodist(sid, muni=muni, kind="mentor")


def attach(
    n: int,
    methodist_id: str = "m-1",
    start: date = date(2024, 1, 1),
    end: date | None = None,
    aid: str | None = None,
    confirmed: bool = True,
) -> Event:
    """A teacher attached to a regional methodist, as reported."""
    return ev(
        MethodistAttachmentReported,
        MethodistAttachment(
            attachment_id=aid or f"att-{n}-{methodist_id}",
            educator_id=ed(n),
            methodist_id=methodist_id,
            confirmed=confirmed,
            attached_from=start,
            attached_to=end,
        ),
    )


def outside_route(n: int, day: date = date(2024, 3, 5), source: str = "fed-platform", rid: str | None = None) -> Event:
    return ev(
        ExternalRouteReported,
        ExternalRoute(
            route_id=rid or f"ext-{n}",
            educator_id=ed(n),
            diagnosis_id=f"dx-{n}",
            source_system=source,
            developed_on=day,
        ),
    )


def org(
    oid: str, kind: str = "institute", muni: str = "m9", low: bool = False, poor: bool = False, rev: int = 1
) -> Event:
    return ev(
        OrganizationRegistered,
        OrganizationRecorded(
            organization_id=oid,
            kind=kind,
            title=f"Организация {oid}",
            municipality_id=muni,  # type: ignore[arg-type]
            low_results=low,
            unfavourable_conditions=poor,
            revision=rev,
        ),
    )


def methodist(sid: str, muni: str = "m1", active: bool = True, kind: str = "methodist", rev: int = 1) -> Event:
    return ev(
        SupportStaffRegistered,
        SupportStaffRecorded(
            staff_id=sid,
            kind=kind,
            organization_id="cnppm",
            municipality_id=muni,
            capacity=250,  # type: ignore[arg-type]
            active=active,
            revision=rev,
        ),
    )


def team(tid: str, organization: str, muni: str = "m1") -> Event:
    return ev(
        ManagementTeamRegistered,
        ManagementTeamRecorded(team_id=tid, organization_id=organization, municipality_id=muni, size=4),
    )


def team_done(tid: str, pid: str, day: date = date(2024, 4, 1)) -> Event:
    return ev(TeamCompletionAccepted, TeamCompletion(team_id=tid, program_id=pid, completed_on=day))


def cnppm(sid: str, active: bool = True, organization: str = "cnppm", rev: int = 1) -> Event:
    return ev(
        CnppmStaffRegistered,
        CnppmStaffRecorded(staff_id=sid, organization_id=organization, active=active, revision=rev),
    )


def trained(sid: str, day: date = date(2024, 2, 1), title: str = "Академия") -> Event:
    return ev(CnppmStaffTrainedByFederalOperator, CnppmStaffTrained(staff_id=sid, program_title=title, trained_on=day))


def item(iid: str, status: str, due: date = date(2024, 6, 1), rev: int = 1, completed: date | None = None) -> Event:
    return ev(
        RoadmapItemUpdated,
        RoadmapItemRecorded(
            item_id=iid,
            title=f"Мероприятие {iid}",
            responsible="ЦНППМ",
            due_date=due,
            expected_result="результат",
            status=status,
            revision=rev,
            completed_on=completed,
        ),
    )  # type: ignore[arg-type]


def state_of(events: Iterable[Event], region: str = R) -> RegionState:
    state = RegionState(region)
    for e in events:
        fold(state, e)
    return state


def table(events: Iterable[Event], as_of: date = D, targets: Targets = TARGETS) -> dict[Key, IndicatorValue]:
    return {(v.indicator, v.scope_kind, v.scope_id): v for v in compute_indicators(state_of(events), R, as_of, targets)}


def nd(t: Mapping[Key, IndicatorValue], key: Key) -> tuple[int, int]:
    v = t[key]
    return v.numerator, v.denominator


def incoming(*events: Event, topic: str = "rsnms.registry.facts", partition: int = 0, first: int = 0) -> list[Incoming]:
    return [Incoming(e, topic, partition, first + n, e.to_bytes()) for n, e in enumerate(events)]


class FakeStateStore:
    """In-memory StateRepository with the journal's semantics: appends of partial records
    (through their documents), joined on read; counts appends, entries and loads."""

    def __init__(self) -> None:
        self.journal: list[list[dict[str, Any]]] = []
        self.position_journal: list[Positions] = []
        self.appends = 0
        self.written = 0
        self.loads = 0
        self.fail_save = False

    def _states(self, region: str | None = None) -> dict[str, RegionState]:
        states: dict[str, RegionState] = {}
        for docs in self.journal:
            for doc in docs:
                if region is None or doc["region"] == region:
                    state = states.setdefault(doc["region"], RegionState(doc["region"]))
                    join(state.record(EntityRef(doc["kind"], doc["id"])), decode(doc["kind"], doc))
        return states

    @property
    def positions(self) -> Positions:
        out: Positions = {}
        for moved in self.position_journal:
            for tp, offset in moved.items():
                out[tp] = max(out.get(tp, 0), offset)
        return out

    async def load_all(self) -> tuple[dict[str, RegionState], Positions]:
        self.loads += 1
        return self._states(), self.positions

    async def load_region(self, region: str) -> tuple[RegionState, Positions]:
        return self._states(region).get(region) or RegionState(region), self.positions

    async def append(self, records: Mapping[EntityKey, Record], positions: Positions) -> None:
        if self.fail_save:
            raise ConnectionError("store down")
        self.appends += 1
        docs = []
        for key, record in records.items():
            doc = encode(key, record) | {"kind": key.kind}
            assert not unsafe_keys(doc), unsafe_keys(doc)
            docs.append(doc)
        self.journal.append(docs)
        self.written += len(docs)
        self.position_journal.append(dict(positions))

    async def settle(self) -> None:
        if len(self.journal) > COMPACT_AFTER:
            await self.compact()

    async def journal_size(self) -> int:
        return len(self.journal)

    async def compact(self) -> int:
        replaced = len(self.journal)
        states, positions = self._states(), self.positions
        self.journal, self.position_journal = [], []
        await self.append(
            {
                EntityKey(r, kind, i): record
                for r, state in states.items()
                for kind in ENTITY_KINDS
                for i, record in state.records(kind).items()
            },
            positions,
        )
        return replaced


class FakeTableStore:
    """In-memory TableRepository: `$set` of the table document under "<region>:<as_of>"."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.fail = False

    async def save(self, t: IndicatorTable) -> None:
        if self.fail:
            raise ConnectionError("store down")
        doc = table_document(t)
        assert not unsafe_keys(doc)
        self.docs.setdefault(table_id(t.region, doc["as_of"]), {}).update(doc)


class FakeSnapshotStore:
    """In-memory SnapshotRepository, insert-only."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def latest(self, region: str) -> PassportSnapshot | None:
        mine = [d for d in self.docs.values() if d["region"] == region]
        return PassportSnapshot.model_validate(max(mine, key=lambda d: d["version"])) if mine else None

    async def add(self, snapshot: PassportSnapshot) -> bool:
        if snapshot.snapshot_id in self.docs:
            return False
        doc = snapshot.model_dump(mode="json")
        assert not unsafe_keys(doc), unsafe_keys(doc)
        self.docs[snapshot.snapshot_id] = doc
        return True
