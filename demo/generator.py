"""A seeded generator of a realistic region of the РСНМС.

It plays the outside systems: the ЦНППМ and the institute (registry facts), the schools,
colleges and municipal methodical services (support forms of young teachers, methodist
attachments), the federal route platform (routes developed outside the platform), the
assessment platform (diagnostic results, conducted by the ЦНППМ or another centre) and, once
routes exist, the program providers (enrolments, completions, informal activities,
management-team training).

Histories are realistic, dated when things took effect: departures and transfers, methodists
and ЦНППМ staff who leave, teams formed late or dissolved, programs implemented per academic
year and leaving the register, road-map items progressing over time, schools that report
support late (or never, or without a confirmed mentor), and one methodist carrying far more
teachers than the 250 the regulation allows.
Educators appear only as pseudonymous ids: a fake SNILS is made up and hashed with
the pseudonymisation key, exactly as a source system would do it.

Sizes follow docs/domain.md: a methodist per ~150-200 educators, a management team per
school, about 40 % of educators diagnosed a year, a share of programs in ФР ДПП.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from contracts import (
    Activity,
    ActivityCompleted,
    CnppmStaffDeparted,
    CnppmStaffRecorded,
    CnppmStaffRegistered,
    CnppmStaffTrained,
    CnppmStaffTrainedByFederalOperator,
    Completion,
    DiagnosticResult,
    DiagnosticResultSubmitted,
    EducatorDeparted,
    EducatorLeft,
    EducatorMoved,
    EducatorRecorded,
    EducatorRegistered,
    EducatorTransferred,
    Enrolment,
    Event,
    ExternalRoute,
    ExternalRouteReported,
    ImplementationPeriod,
    ManagementTeamDissolved,
    ManagementTeamRecorded,
    ManagementTeamRegistered,
    MethodistAttachment,
    MethodistAttachmentReported,
    OrganizationRecorded,
    OrganizationRegistered,
    ProgramCompleted,
    ProgramEnrolled,
    ProgramImplementationReported,
    ProgramRecorded,
    ProgramRegistered,
    RoadmapItemRecorded,
    RoadmapItemStatusChanged,
    RoadmapItemUpdated,
    RoadmapStatusChange,
    RouteAssigned,
    StaffLeft,
    SupportForm,
    SupportFormReported,
    SupportStaffDeparted,
    SupportStaffRecorded,
    SupportStaffRegistered,
    TeamCompletion,
    TeamDissolution,
    TeamProgramCompleted,
)
from contracts.envelope import Record
from contracts.pseudonym import educator_pseudonym

DEMO_KEY = b"demo-pseudonymisation-key-change-me"


@dataclass(frozen=True)
class RegionSpec:
    region: str = "RU-YEV"
    municipalities: int = 6
    schools_per_municipality: tuple[int, int] = (4, 10)
    educators_per_school: tuple[int, int] = (15, 45)
    programs: int = 36
    today: date = field(default_factory=date.today)
    seed: int = 20240901
    diagnosed_share: float = 0.45
    repeat_share: float = 0.3
    #: diagnostic sessions an educator takes at most (the first, then repeats while `repeat_share` holds)
    sessions: int = 2
    #: days after registration by which the first session is taken (None: any day until today)
    first_within: int | None = None


@dataclass
class Region:
    """Everything generated, kept so a test can recompute indicators independently."""

    spec: RegionSpec
    registry: list[Event] = field(default_factory=list)
    diagnostics: list[Event] = field(default_factory=list)
    team_ids: list[str] = field(default_factory=list)
    programs: dict[str, ProgramRecorded] = field(default_factory=dict)
    #: educator id -> the made-up SNILS it was derived from (stays with the source system; for
    #: tests that check no SNILS reaches the platform)
    snils: dict[str, str] = field(default_factory=dict)
    #: educator id -> (role, birth year, career start, registered on, school)
    people: dict[str, tuple[str, int, date, date, str]] = field(default_factory=dict)
    #: the methodist who left and when
    methodist_left: tuple[str, date] | None = None

    @property
    def inbound(self) -> list[Event]:
        return [*self.registry, *self.diagnostics]


def _day_between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randrange((end - start).days + 1))


class RegionGenerator:
    """Builds the inbound events of one region, deterministically from the seed."""

    def __init__(self, spec: RegionSpec, competencies: Mapping[str, Sequence[str]], key: bytes = DEMO_KEY):
        """`competencies` maps a role ("teacher", "manager") to the competency ids assessed for it."""
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.competencies = competencies
        self.key = key
        self.src_registry = "cnppm-" + spec.region.lower()
        self.src_assessment = "assessment-platform"
        self.src_provider = "iro-lms"
        self.src_schools = "schools-" + spec.region.lower()
        self.src_routes = "federal-route-platform"

    @property
    def sources(self) -> tuple[str, ...]:
        """The outside systems this region's events come from (each signs with its own key)."""
        return self.src_registry, self.src_assessment, self.src_provider, self.src_schools, self.src_routes

    def _ev(self, cls: type[Event], payload: Record, source: str, day: date) -> Event:
        from datetime import UTC, datetime, time

        return cls.create(
            payload, source=source, region=self.spec.region, occurred_at=datetime.combine(day, time(9), tzinfo=UTC)
        )

    def generate(self) -> Region:
        s, rng, out = self.spec, self.rng, Region(self.spec)
        today, start = s.today, s.today - timedelta(days=3 * 365)
        reg = out.registry

        def org(oid: str, kind: str, title: str, muni: str, **flags: bool) -> None:
            reg.append(
                self._ev(
                    OrganizationRegistered,
                    OrganizationRecorded(organization_id=oid, kind=kind, title=title, municipality_id=muni, **flags),
                    self.src_registry,
                    start,
                )
            )

        munis = [f"mun-{i:02d}" for i in range(1, s.municipalities + 1)]
        org("roiv", "regional_authority", "Региональный орган управления образованием", munis[0])
        org("cnppm", "cnppm", "Центр непрерывного повышения профессионального мастерства", munis[0])
        org("iro", "institute", "Институт развития образования", munis[0])
        org("college", "college", "Педагогический колледж", munis[-1])
        schools: list[tuple[str, str]] = []
        for muni in munis:
            org(f"mms-{muni}", "municipal_service", f"Муниципальная методическая служба {muni}", muni)
            org(f"site-{muni}", "internship_site", f"Стажировочная площадка {muni}", muni)
            for k in range(rng.randint(*s.schools_per_municipality)):
                sid = f"sch-{muni}-{k:02d}"
                schools.append((sid, muni))
                org(
                    sid,
                    "school",
                    f"Школа № {k + 1} ({muni})",
                    muni,
                    low_results=rng.random() < 0.1,
                    unfavourable_conditions=rng.random() < 0.08,
                )

        self._programs(out, start)
        self._educators(out, schools, munis, start)
        self._staff(out, munis, start)
        self._support(out, start)
        for sid, muni in schools:
            team = f"team-{sid}"
            out.team_ids.append(team)
            formed = start if rng.random() < 0.8 else _day_between(rng, start, today - timedelta(days=90))
            reg.append(
                self._ev(
                    ManagementTeamRegistered,
                    ManagementTeamRecorded(
                        team_id=team,
                        organization_id=sid,
                        municipality_id=muni,
                        size=rng.randint(3, 6),
                        formed_on=formed,
                    ),
                    self.src_registry,
                    formed,
                )
            )
            if rng.random() < 0.08:  # a team dissolved (a new one is formed under another id)
                gone = _day_between(rng, formed + timedelta(days=30), today)
                reg.append(
                    self._ev(
                        ManagementTeamDissolved,
                        TeamDissolution(team_id=team, dissolved_on=gone),
                        self.src_registry,
                        gone,
                    )
                )
        for i in range(1, 9):
            due = _day_between(rng, start, today + timedelta(days=365))
            item_id = f"rm-{i:02d}"
            reg.append(
                self._ev(
                    RoadmapItemUpdated,
                    RoadmapItemRecorded(
                        item_id=item_id,
                        title=f"Мероприятие дорожной карты № {i}",
                        responsible=rng.choice(["ЦНППМ", "ИРО", "РОИВ"]),
                        due_date=due,
                        expected_result="Аналитическая справка",
                        status="planned",
                    ),
                    self.src_registry,
                    start,
                )
            )
            # progress over time, each step dated when it happened
            began = _day_between(rng, start, min(due, today))
            steps = [("in_progress", began)] if rng.random() < 0.85 else []
            if steps and rng.random() < 0.6:
                steps.append(("done", _day_between(rng, began, min(due + timedelta(days=60), today))))
            elif rng.random() < 0.1:
                steps.append(("cancelled", _day_between(rng, began, today)))
            for status, day in steps:
                reg.append(
                    self._ev(
                        RoadmapItemStatusChanged,
                        RoadmapStatusChange(item_id=item_id, status=status, effective=day),
                        self.src_registry,
                        day,
                    )
                )
        return out

    def _programs(self, out: Region, start: date) -> None:
        rng, s = self.rng, self.spec
        teacher = list(self.competencies["teacher"])
        manager = [c for c in self.competencies["manager"] if c not in teacher] or teacher
        for i in range(1, s.programs + 1):
            quality = i % 12 == 0
            pool = manager if quality else teacher
            comps = tuple(sorted(rng.sample(pool, k=min(len(pool), rng.choice([1, 1, 2, 3])))))
            in_register = rng.random() < 0.6
            reg_from = (
                _day_between(rng, start - timedelta(days=400), s.today - timedelta(days=30)) if in_register else None
            )
            reg_to = (
                _day_between(rng, reg_from + timedelta(days=60), s.today)
                if reg_from is not None and rng.random() < 0.15
                else None
            )
            program = ProgramRecorded(
                program_id=f"dpp-{i:03d}",
                provider_id=rng.choice(["iro", "iro", "college", "cnppm"]),
                title=f"Дополнительная профессиональная программа № {i}",
                hours=rng.choice([16, 24, 36, 36, 72, 108]),
                competencies=comps,
                topic="education_quality_management"
                if quality
                else rng.choice(["subject", "methodical", "psychological_pedagogical", "digital"]),
                implemented=rng.random() < 0.92,
                register_id=f"FR-{10000 + i}" if in_register else None,
                register_from=reg_from,
                register_to=reg_to,
            )
            out.programs[program.program_id] = program
            out.registry.append(self._ev(ProgramRegistered, program, self.src_registry, start))
            if program.implemented:  # implemented per academic year, some stop after a year or two
                first = start.year - (1 if start.month < 9 else 0)
                for year in range(first, s.today.year + 1):
                    begin = date(year, 9, 1)
                    if begin > s.today or rng.random() < 0.15:
                        break
                    out.registry.append(
                        self._ev(
                            ProgramImplementationReported,
                            ImplementationPeriod(
                                program_id=program.program_id, period_from=begin, period_to=date(year + 1, 6, 30)
                            ),
                            self.src_registry,
                            begin,
                        )
                    )

    def _educators(self, out: Region, schools: list[tuple[str, str]], munis: list[str], start: date) -> None:
        rng, s, today = self.rng, self.spec, self.spec.today
        for sid, muni in schools:
            for _ in range(rng.randint(*s.educators_per_school)):
                snils = f"{rng.randrange(10**11):011d}"
                eid = educator_pseudonym(snils, self.key)
                out.snils[eid] = snils
                role = "manager" if rng.random() < 0.12 else "teacher"
                if rng.random() < 0.2 and role == "teacher":
                    birth_year = today.year - rng.randint(22, 33)
                    career_start = _day_between(rng, today - timedelta(days=3 * 365 + 200), today - timedelta(days=30))
                else:
                    birth_year = today.year - rng.randint(24, 66)
                    career_start = date(birth_year + rng.randint(21, 24), 9, 1)
                career_start = max(career_start, date(birth_year + 18, 9, 1))
                registered_on = max(career_start, _day_between(rng, start, today - timedelta(days=60)))
                if career_start > start and rng.random() < 0.3:  # registered a little before starting work
                    registered_on = max(start, career_start - timedelta(days=rng.randint(1, 10)))
                out.people[eid] = (role, birth_year, career_start, registered_on, sid)
                out.registry.append(
                    self._ev(
                        EducatorRegistered,
                        EducatorRecorded(
                            educator_id=eid,
                            role=role,
                            organization_id=sid,
                            municipality_id=muni,
                            birth_year=birth_year,
                            career_start=career_start,
                            registered_on=registered_on,
                        ),
                        self.src_registry,
                        registered_on,
                    )
                )
                fate = rng.random()
                if fate < 0.03:
                    target, tmuni = rng.choice(schools)
                    if target != sid:
                        moved = _day_between(rng, registered_on + timedelta(days=1), today)
                        out.registry.append(
                            self._ev(
                                EducatorMoved,
                                EducatorTransferred(
                                    educator_id=eid, organization_id=target, municipality_id=tmuni, transferred_on=moved
                                ),
                                self.src_registry,
                                moved,
                            )
                        )
                elif fate < 0.07:
                    left = _day_between(rng, registered_on + timedelta(days=1), today)
                    out.registry.append(
                        self._ev(EducatorDeparted, EducatorLeft(educator_id=eid, left_on=left), self.src_registry, left)
                    )
                if rng.random() < s.diagnosed_share:
                    self._diagnose(out, eid, role, registered_on)
                elif rng.random() < 0.05:  # a route drawn up on the federal platform, from its own diagnosis
                    day = _day_between(rng, registered_on, today - timedelta(days=10))
                    out.registry.append(
                        self._ev(
                            ExternalRouteReported,
                            ExternalRoute(
                                route_id=f"fed-{eid[3:19]}",
                                educator_id=eid,
                                diagnosis_id=f"fed-dx-{eid[3:19]}",
                                source_system="fed-route-platform",
                                developed_on=day,
                            ),
                            self.src_routes,
                            day,
                        )
                    )

    def _diagnose(self, out: Region, eid: str, role: str, registered_on: date) -> None:
        rng, today = self.rng, self.spec.today
        comps = self.competencies[role]
        last = today - timedelta(days=20)
        if self.spec.first_within is not None:
            last = min(last, registered_on + timedelta(days=self.spec.first_within))
        taken = _day_between(rng, registered_on, last)
        level = rng.gauss(68, 10)
        scores = {c: round(min(100.0, max(0.0, rng.gauss(level, 14))), 1) for c in comps}
        session = f"s-{eid[3:15]}-1"
        out.diagnostics.append(
            self._ev(
                DiagnosticResultSubmitted,
                DiagnosticResult(
                    session_id=session,
                    educator_id=eid,
                    role=role,
                    kind="initial",
                    taken_on=taken,
                    scores=scores,
                    conducted_by=rng.choices(["cnppm", "copmkp", "other_centre"], [85, 10, 5])[0],
                ),
                self.src_assessment,
                taken,
            )
        )
        for n in range(2, self.spec.sessions + 1):  # repeat sessions, each some months after the last
            again = taken + timedelta(days=rng.randint(120, 300))
            if not (rng.random() < self.spec.repeat_share and again <= today):
                break
            scores = {c: round(max(0.0, min(100.0, v + rng.uniform(-3, 22))), 1) for c, v in scores.items()}
            taken = again
            out.diagnostics.append(
                self._ev(
                    DiagnosticResultSubmitted,
                    DiagnosticResult(
                        session_id=f"s-{eid[3:15]}-{n}",
                        educator_id=eid,
                        role=role,
                        kind="repeat",
                        taken_on=again,
                        scores=scores,
                        conducted_by="cnppm",
                    ),
                    self.src_assessment,
                    again,
                )
            )

    def _staff(self, out: Region, munis: list[str], start: date) -> None:
        rng, reg = self.rng, out.registry
        educators = sum(1 for e in reg if isinstance(e, EducatorRegistered))
        for i in range(max(2, educators // 180)):
            muni = munis[i % len(munis)]
            reg.append(
                self._ev(
                    SupportStaffRegistered,
                    SupportStaffRecorded(
                        staff_id=f"met-{i:03d}",
                        kind="methodist",
                        organization_id="cnppm",
                        municipality_id=muni,
                        capacity=250,
                        employed_from=start,
                    ),
                    self.src_registry,
                    start,
                )
            )
            if i == 1:  # a methodist who left; the teachers attached to them are left without one
                gone = _day_between(rng, start + timedelta(days=200), self.spec.today - timedelta(days=30))
                out.methodist_left = ("met-001", gone)
                reg.append(
                    self._ev(SupportStaffDeparted, StaffLeft(staff_id="met-001", left_on=gone), self.src_registry, gone)
                )
        for i in range(max(2, educators // 30)):
            muni = munis[i % len(munis)]
            reg.append(
                self._ev(
                    SupportStaffRegistered,
                    SupportStaffRecorded(
                        staff_id=f"men-{i:03d}",
                        kind="mentor",
                        organization_id=f"mms-{muni}",
                        municipality_id=muni,
                        capacity=rng.choice([3, 5, 8]),
                        employed_from=start,
                    ),
                    self.src_registry,
                    start,
                )
            )
        for i in range(12):
            sid = f"cs-{i:02d}"
            reg.append(
                self._ev(
                    CnppmStaffRegistered,
                    CnppmStaffRecorded(staff_id=sid, organization_id="cnppm", employed_from=start),
                    self.src_registry,
                    start,
                )
            )
            if i == 11:
                gone = _day_between(self.rng, start + timedelta(days=100), self.spec.today - timedelta(days=10))
                reg.append(self._ev(CnppmStaffDeparted, StaffLeft(staff_id=sid, left_on=gone), self.src_registry, gone))
            if rng.random() < 0.75:
                day = _day_between(rng, start, self.spec.today - timedelta(days=1))
                reg.append(
                    self._ev(
                        CnppmStaffTrainedByFederalOperator,
                        CnppmStaffTrained(
                            staff_id=sid,
                            program_title="Программа федерального оператора для сотрудников ЦНППМ",
                            trained_on=day,
                        ),
                        self.src_registry,
                        day,
                    )
                )

    def _support(self, out: Region, start: date) -> None:
        """What schools, colleges and ММС report: support forms of young teachers (most, some late,
        some never, a few unconfirmed or without a named mentor) and teachers attached to regional
        methodists (one methodist far above 250)."""
        rng, today, reg = self.rng, self.spec.today, out.registry
        mentors = sorted(
            e.payload.staff_id for e in reg if isinstance(e, SupportStaffRegistered) and e.payload.kind == "mentor"
        )
        methodists = sorted(
            e.payload.staff_id for e in reg if isinstance(e, SupportStaffRegistered) and e.payload.kind == "methodist"
        )
        gone_id, gone_on = out.methodist_left or ("", today)
        weights = [12 if m == methodists[0] else 1 for m in methodists]  # the first one is overloaded
        for eid, (role, birth, career, registered, _school) in sorted(out.people.items()):
            if role != "teacher":
                continue
            young = today.year - birth < 35 and career > today - timedelta(days=3 * 365)
            if young and rng.random() < 0.75:
                started = max(career, registered) + timedelta(days=rng.randint(0, 60))
                if started < today:
                    reported = min(today, started + timedelta(days=rng.choice([1, 7, 30, 120])))  # some report late
                    kind = rng.choices(["mentoring", "tutoring", "methodical_support", "internship"], [70, 15, 10, 5])[
                        0
                    ]
                    supporter = None if rng.random() < 0.05 else rng.choice(mentors)
                    reg.append(
                        self._ev(
                            SupportFormReported,
                            SupportForm(
                                support_id=f"form-{eid[3:19]}",
                                educator_id=eid,
                                kind=kind,
                                supporter_id=supporter,
                                confirmed=rng.random() < 0.93,
                                started_on=started,
                                ended_on=None if rng.random() < 0.8 else started + timedelta(days=rng.randint(90, 400)),
                            ),
                            self.src_schools,
                            reported,
                        )
                    )
            if rng.random() < 0.7:
                methodist = rng.choices(methodists, weights)[0]
                attached = max(start, registered)
                until = gone_on - timedelta(days=1) if methodist == gone_id else None
                if until is not None and until < attached:
                    continue
                reg.append(
                    self._ev(
                        MethodistAttachmentReported,
                        MethodistAttachment(
                            attachment_id=f"att-{eid[3:19]}",
                            educator_id=eid,
                            methodist_id=methodist,
                            confirmed=True,
                            attached_from=attached,
                            attached_to=until,
                        ),
                        self.src_schools,
                        attached,
                    )
                )

    def progress(self, region: Region, routes: Iterable[RouteAssigned]) -> list[Event]:
        """What providers report once routes exist: enrolment, completion, informal activities,
        and management teams trained in education quality management."""
        rng = self.progress_rng()
        out = [e for route in sorted(routes, key=lambda r: r.payload.route_id) for e in self.route_progress(route, rng)]
        return out + self.team_progress(region, rng)

    def progress_rng(self) -> random.Random:
        return random.Random(self.spec.seed + 1)

    def route_progress(self, route: RouteAssigned, rng: random.Random) -> list[Event]:
        """What the providers report on one route: enrolments, completions, informal activities."""
        today, out = self.spec.today, []
        r = route.payload
        for item in r.items:
            if rng.random() > 0.7:
                continue
            begin = r.assigned_on + timedelta(days=rng.randint(1, 30))
            done = begin + timedelta(days=rng.randint(14, 120))
            if begin > today:
                continue
            if item.kind == "program" and item.program_id:
                out.append(
                    self._ev(
                        ProgramEnrolled,
                        Enrolment(
                            educator_id=r.educator_id,
                            program_id=item.program_id,
                            route_id=r.route_id,
                            enrolled_on=begin,
                        ),
                        self.src_provider,
                        begin,
                    )
                )
                if done <= today and rng.random() < 0.75:
                    out.append(
                        self._ev(
                            ProgramCompleted,
                            Completion(
                                educator_id=r.educator_id,
                                program_id=item.program_id,
                                route_id=r.route_id,
                                completed_on=done,
                            ),
                            self.src_provider,
                            done,
                        )
                    )
            elif item.kind != "program" and done <= today and rng.random() < 0.6:
                out.append(
                    self._ev(
                        ActivityCompleted,
                        Activity(
                            educator_id=r.educator_id,
                            activity_kind=item.kind,
                            route_id=r.route_id,
                            item_id=item.item_id,
                            completed_on=done,
                        ),
                        self.src_provider,
                        done,
                    )
                )
        return out

    def team_progress(self, region: Region, rng: random.Random) -> list[Event]:
        """Management teams trained: in education quality management or another topic."""
        today, out = self.spec.today, []
        quality = sorted(p.program_id for p in region.programs.values() if p.topic == "education_quality_management")
        others = sorted(p for p in region.programs if p not in quality)
        for team in region.team_ids:
            if quality and rng.random() < 0.55:  # a team trained: in quality management or another topic
                day = _day_between(rng, today - timedelta(days=700), today)
                chosen = rng.choice(quality if rng.random() < 0.6 or not others else others)
                out.append(
                    self._ev(
                        TeamProgramCompleted,
                        TeamCompletion(team_id=team, program_id=chosen, completed_on=day),
                        self.src_provider,
                        day,
                    )
                )
        return out
