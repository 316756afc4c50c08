"""Builders for the routes service's unit tests: programs, staff, deficits, diagnoses,
events, and an in-memory store with the RoutesStore interface."""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts import (
    Deficit,
    DeficitDiagnosed,
    Diagnosis,
    EducatorRecorded,
    EducatorRegistered,
    Event,
    ProgramRecorded,
    StaffLeft,
    SupportStaffRecorded,
)
from rsnms_runtime.kafka import Incoming
from services.routes.domain.educator import Catalogue, EducatorFile, Loads

R = "RU-TST"
ED = "ed-" + "b" * 32
ED2 = "ed-" + "c" * 32
DAY = date(2024, 3, 1)


def program(
    pid: str,
    comps: list[str],
    hours: int = 36,
    register: bool = True,
    register_to: date | None = None,
    implemented: bool = True,
    revision: int = 1,
    title: str | None = None,
) -> ProgramRecorded:
    return ProgramRecorded(
        program_id=pid,
        revision=revision,
        provider_id="iro",
        title=title or f"Программа {pid}",
        hours=hours,
        competencies=tuple(comps),
        topic="methodical",
        implemented=implemented,
        register_id=f"FR-{pid}" if register else None,
        register_from=date(2023, 1, 1) if register else None,
        register_to=register_to,
    )


def staff(
    sid: str, kind: str = "methodist", muni: str = "m1", capacity: int = 250, active: bool = True, revision: int = 1
) -> SupportStaffRecorded:
    return SupportStaffRecorded(
        staff_id=sid,
        revision=revision,
        kind=kind,
        organization_id="cnppm",
        municipality_id=muni,
        capacity=capacity,
        active=active,
    )


def deficit(
    c: str, score: float = 40.0, threshold: float = 60.0, severity: str = "severe", area: str = "methodical"
) -> Deficit:
    return Deficit(competency=c, area=area, score=score, threshold=threshold, severity=severity)


def diagnosis(
    *deficits: Deficit, dx: str = "dx-1", day: date = DAY, educator: str = ED, scores: dict[str, float] | None = None
) -> Diagnosis:
    all_scores = {d.competency: d.score for d in deficits} | (scores or {})
    return Diagnosis(
        diagnosis_id=dx,
        session_id=dx[3:],
        educator_id=educator,
        role="teacher",
        kind="initial",
        diagnosed_on=day,
        framework_id="fw",
        scores=all_scores,
        conducted_by="cnppm",
        deficits=tuple(deficits),
    )


def ev(cls: type[Event], payload: Any, region: str = R) -> Event:
    return cls.create(payload, source="test", region=region)


def diagnosed(*deficits: Deficit, **kw: Any) -> Event:
    return ev(DeficitDiagnosed, diagnosis(*deficits, **kw))


def registered(
    birth_year: int = 1980,
    career_start: date = date(2005, 9, 1),
    registered_on: date = date(2024, 1, 10),
    role: str = "teacher",
    muni: str = "m1",
    educator: str = ED,
    revision: int = 1,
) -> Event:
    return ev(
        EducatorRegistered,
        EducatorRecorded(
            educator_id=educator,
            revision=revision,
            role=role,
            organization_id="s1",
            municipality_id=muni,
            birth_year=birth_year,
            career_start=career_start,
            registered_on=registered_on,
        ),
    )


def known(educator: str = ED, region: str = R, **profile: Any) -> EducatorFile:
    """The file of an educator the registry has confirmed (not a young teacher unless told)."""
    return EducatorFile(region=region, educator_id=educator, profile=registered(educator=educator, **profile).payload)  # type: ignore[arg-type]


def incoming(*events: Event) -> list[Incoming]:
    return [Incoming(e, "t", 0, n, e.to_bytes()) for n, e in enumerate(events)]


def names(events: list[Event]) -> list[str]:
    return [e.event_type for e in events]


class FakeStore:
    """In-memory RoutesStore: documents kept as JSON-ready dicts, as MongoDB would."""

    def __init__(self) -> None:
        self.files_: dict[str, dict[str, Any]] = {}
        self.programs: dict[str, ProgramRecorded] = {}
        self.staff: dict[str, SupportStaffRecorded] = {}
        self.departed: dict[str, date] = {}
        self.writes = 0
        self.fail_save = False

    async def files(self, keys: list[str]) -> dict[str, EducatorFile]:
        return {k: EducatorFile.model_validate(self.files_[k]) for k in keys if k in self.files_}

    async def catalogue(self, region: str) -> Catalogue:
        return Catalogue(programs=dict(self.programs), staff=dict(self.staff), departed=dict(self.departed))

    async def loads(self, region: str) -> Loads:
        loads = Loads()
        for doc in self.files_.values():
            f = EducatorFile.model_validate(doc)
            active = f.active_route()
            Loads.bump(loads.methodist, active.route.methodist_id if active else None, 1)
            Loads.bump(loads.mentor, f.support.mentor_id if f.support else None, 1)
        return loads

    async def save_catalogue(
        self,
        region: str,
        programs: list[ProgramRecorded],
        staff: list[SupportStaffRecorded],
        departures: list[StaffLeft] | None = None,
    ) -> None:
        for d in departures or ():
            self.departed[d.staff_id] = min(d.left_on, self.departed.get(d.staff_id, d.left_on))
        for p in programs:
            if p.program_id not in self.programs or self.programs[p.program_id].revision < p.revision:
                self.programs[p.program_id] = p
        for s in staff:
            if s.staff_id not in self.staff or self.staff[s.staff_id].revision < s.revision:
                self.staff[s.staff_id] = s

    async def save_files(self, files: list[EducatorFile]) -> None:
        if self.fail_save:
            raise ConnectionError("store down")
        for f in files:
            self.writes += 1
            self.files_[f"{f.region}:{f.educator_id}"] = f.model_dump(mode="json")
