"""Synthetic event histories for the benchmarks, from one region up to national size.

It writes what the indicators service reads (registry facts, diagnoses, routes, support,
provider progress) directly as contract events, about ten per educator, so that a replay
of a whole country can be produced without running the other services. Streaming: events
are yielded region by region and never all held in memory.

Scale of docs/domain.md: 89 regions, about 2,300 municipalities, about 40,000 schools and
1.1 million educators nationally.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from contracts import (
    Activity,
    ActivityCompleted,
    Completion,
    Deficit,
    DeficitDiagnosed,
    Diagnosis,
    EducatorRecorded,
    EducatorRegistered,
    Enrolment,
    Event,
    ManagementTeamRecorded,
    ManagementTeamRegistered,
    MethodistAttachment,
    MethodistAttachmentReported,
    OrganizationRecorded,
    OrganizationRegistered,
    ProgramCompletionAccepted,
    ProgramEnrolled,
    ProgramRecorded,
    ProgramRegistered,
    Route,
    RouteAssigned,
    RouteItem,
    SupportForm,
    SupportFormReported,
    SupportStaffRecorded,
    SupportStaffRegistered,
)
from contracts.envelope import Record

COMPETENCIES = ("subject_knowledge", "methodical_design", "psych_support", "digital_tools", "assessment_literacy")
TODAY = date(2025, 6, 30)


@dataclass(frozen=True)
class Scale:
    regions: int
    municipalities_per_region: int
    schools_per_municipality: int
    educators_per_school: int
    programs_per_region: int = 40

    @property
    def educators(self) -> int:
        return self.regions * self.municipalities_per_region * self.schools_per_municipality * self.educators_per_school


#: 89 x 26 = 2,314 municipalities, x 17 = 39,338 schools, x 28 = 1,101,464 educators
NATIONAL = Scale(regions=89, municipalities_per_region=26, schools_per_municipality=17, educators_per_school=28)
REGION = Scale(regions=1, municipalities_per_region=20, schools_per_municipality=15, educators_per_school=30)
SMALL = Scale(regions=1, municipalities_per_region=4, schools_per_municipality=6, educators_per_school=20)
QUICK = Scale(
    regions=1, municipalities_per_region=3, schools_per_municipality=4, educators_per_school=10, programs_per_region=12
)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=UTC)


def region_code(n: int) -> str:
    return f"RU-B{n:02d}"


def history(scale: Scale, seed: int = 7, first_region: int = 0) -> Iterator[Event]:
    """Every event of the history, region after region (about 10 per educator); regions are
    numbered from `first_region` (histories of other regions never share an event id)."""
    rng = random.Random(seed)
    for r in range(first_region, first_region + scale.regions):
        yield from _region(scale, region_code(r), rng)


def _region(scale: Scale, region: str, rng: random.Random) -> Iterator[Event]:
    src = "bench-" + region.lower()

    def ev(cls: type[Event], payload: Record, day: date) -> Event:
        return cls.create(payload, source=src, region=region, occurred_at=_at(day))

    start = TODAY - timedelta(days=900)
    programs = []
    for p in range(scale.programs_per_region):
        in_reg = p % 5 < 3
        prog = ProgramRecorded(
            program_id=f"dpp-{p:03d}",
            provider_id="iro",
            title=f"Программа {p}",
            hours=rng.choice([16, 36, 72]),
            competencies=(COMPETENCIES[p % len(COMPETENCIES)],),
            topic="methodical",
            implemented=True,
            register_id=f"FR-{p}" if in_reg else None,
            register_from=start if in_reg else None,
        )
        programs.append(prog)
        yield ev(ProgramRegistered, prog, start)
    methodists = max(
        1, scale.municipalities_per_region * scale.schools_per_municipality * scale.educators_per_school // 200
    )
    for m in range(methodists):
        yield ev(
            SupportStaffRegistered,
            SupportStaffRecorded(
                staff_id=f"met-{m:04d}",
                kind="methodist",
                organization_id="cnppm",
                municipality_id=f"mun-{m % scale.municipalities_per_region:03d}",
                capacity=250,
            ),
            start,
        )
    for mi in range(scale.municipalities_per_region):
        muni = f"mun-{mi:03d}"
        for si in range(scale.schools_per_municipality):
            school = f"sch-{mi:03d}-{si:02d}"
            yield ev(
                OrganizationRegistered,
                OrganizationRecorded(
                    organization_id=school, kind="school", title=f"Школа {school}", municipality_id=muni
                ),
                start,
            )
            yield ev(
                ManagementTeamRegistered,
                ManagementTeamRecorded(team_id=f"team-{school}", organization_id=school, municipality_id=muni, size=4),
                start,
            )
            for ei in range(scale.educators_per_school):
                yield from _educator(ev, rng, region, muni, school, ei, programs, methodists, start)


def _educator(ev, rng, region, muni, school, ei, programs, methodists, start) -> Iterator[Event]:
    eid = "ed-" + hashlib.sha256(f"{region}|{school}|{ei}".encode()).hexdigest()[:32]
    young = rng.random() < 0.15
    birth = TODAY.year - (rng.randint(23, 33) if young else rng.randint(30, 64))
    career = TODAY - timedelta(days=rng.randint(100, 1000)) if young else date(birth + 22, 9, 1)
    registered = max(career, start + timedelta(days=rng.randint(0, 200)))
    role = "manager" if rng.random() < 0.1 else "teacher"
    yield ev(
        EducatorRegistered,
        EducatorRecorded(
            educator_id=eid,
            role=role,
            organization_id=school,
            municipality_id=muni,
            birth_year=birth,
            career_start=career,
            registered_on=registered,
        ),
        registered,
    )
    if young and role == "teacher":
        yield ev(
            SupportFormReported,
            SupportForm(
                support_id=f"sup-{eid}",
                educator_id=eid,
                kind="mentoring",
                supporter_id=f"met-{rng.randrange(methodists):04d}",
                confirmed=True,
                started_on=registered,
                ended_on=career + timedelta(days=3 * 365),
            ),
            registered,
        )
    if rng.random() > 0.9:
        return
    diagnosed = registered + timedelta(days=rng.randint(10, 200))
    gaps = rng.sample(COMPETENCIES, k=3)
    diagnosis = Diagnosis(
        diagnosis_id=f"dx-{eid}",
        session_id=f"s-{eid}",
        educator_id=eid,
        role=role,
        kind="initial",
        diagnosed_on=diagnosed,
        framework_id="bench",
        scores=dict.fromkeys(gaps, 50.0),
        conducted_by="cnppm",
        deficits=tuple(
            Deficit(competency=c, area="methodical", score=50.0, threshold=60.0, severity="moderate") for c in gaps
        ),
    )
    yield ev(DeficitDiagnosed, diagnosis, diagnosed)
    chosen = [next(p for p in programs if p.competencies[0] == c) for c in gaps]
    route_id = f"route-dx-{eid}"
    methodist = f"met-{rng.randrange(methodists):04d}"
    if role == "teacher":  # the school reports the teacher attached to the route's methodist
        yield ev(
            MethodistAttachmentReported,
            MethodistAttachment(
                attachment_id=f"att-{eid}",
                educator_id=eid,
                methodist_id=methodist,
                confirmed=True,
                attached_from=diagnosed,
            ),
            diagnosed,
        )
    yield ev(
        RouteAssigned,
        Route(
            route_id=route_id,
            educator_id=eid,
            diagnosis_id=diagnosis.diagnosis_id,
            assigned_on=diagnosed,
            methodist_id=methodist,
            items=tuple(
                RouteItem(
                    item_id=f"i{k}",
                    kind="program",
                    program_id=p.program_id,
                    in_federal_register=p.register_id is not None,
                    hours=p.hours,
                    covers=p.competencies,
                    reason="Закрывает дефицит",
                )
                for k, p in enumerate(chosen)
            ),
            total_hours=sum(p.hours for p in chosen),
        ),
        diagnosed,
    )
    practice = diagnosed + timedelta(days=rng.randint(10, 100))
    if practice <= TODAY:
        yield ev(
            ActivityCompleted,
            Activity(educator_id=eid, activity_kind="master_class", route_id=route_id, completed_on=practice),
            practice,
        )
    again = diagnosed + timedelta(days=rng.randint(150, 300))
    if again <= TODAY and rng.random() < 0.4:
        yield ev(
            DeficitDiagnosed,
            diagnosis.model_copy(
                update={
                    "diagnosis_id": f"dx2-{eid}",
                    "session_id": f"s2-{eid}",
                    "kind": "repeat",
                    "diagnosed_on": again,
                    "deficits": diagnosis.deficits[:1],
                    "previous_diagnosis_id": diagnosis.diagnosis_id,
                    "closed_competencies": tuple(d.competency for d in diagnosis.deficits[1:]),
                }
            ),
            again,
        )
    for p in chosen:
        enrolled = diagnosed + timedelta(days=rng.randint(5, 40))
        yield ev(
            ProgramEnrolled,
            Enrolment(educator_id=eid, program_id=p.program_id, route_id=route_id, enrolled_on=enrolled),
            enrolled,
        )
        done = enrolled + timedelta(days=rng.randint(20, 90))
        if done <= TODAY and rng.random() < 0.8:
            yield ev(
                ProgramCompletionAccepted,
                Completion(educator_id=eid, program_id=p.program_id, route_id=route_id, completed_on=done),
                done,
            )
