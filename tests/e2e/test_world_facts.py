"""Indicators an official can sign, on the real stack (four services, Kafka, FerretDB), with a
hand-made region fed as its outside systems would:

- a young teacher without a confirmed support form (none, unconfirmed, no supporter named) is not
  counted in I5, although the routes service proposed a mentor for each of them;
- a methodist with 300 attached teachers fails E1 (the cap is no filter), and the teachers without
  a methodist are shown with the number of methodists missing;
- a diagnosis conducted by a provider the region does not count is not in I1;
- a route developed outside the platform counts for I2, with its source;
- a completion naming another educator's route is counted by no indicator and dead-lettered once
  (by the routes service, which owns that decision), while a valid one counts for I3; progress
  from a region its provider may not publish for is dead-lettered once too (the indicators no
  longer read the progress topic).

Every figure also equals the independent recomputation from the raw events.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, date, datetime, time

import pytest
from faststream.kafka import KafkaBroker

from contracts import (
    Completion,
    DeadLetter,
    DiagnosticResult,
    DiagnosticResultSubmitted,
    EducatorRecorded,
    EducatorRegistered,
    Event,
    ExternalRoute,
    ExternalRouteReported,
    MethodistAttachment,
    MethodistAttachmentReported,
    OrganizationRecorded,
    OrganizationRegistered,
    ProgramCompleted,
    ProgramRecorded,
    ProgramRegistered,
    RouteAssigned,
    SupportForm,
    SupportFormReported,
    SupportStaffRecorded,
    SupportStaffRegistered,
    Topic,
)
from demo.competencies import framework_competencies
from demo.feed import TopicTail, caught_up
from rsnms_runtime.kafka import EventPublisher
from tests.e2e.checks import FOLDED_TOPICS, differences, production_table
from tests.e2e.platform import Platform
from tests.e2e.reference import recompute, recompute_extras
from tests.support.factories import region_code
from tests.support.kafka import read_topic

pytestmark = [pytest.mark.infra, pytest.mark.e2e]
AS_OF = date(2025, 6, 1)
START = date(2024, 9, 1)
CNPPM, SCHOOLS, ASSESSMENT, LMS, FEDERAL = "cnppm-test", "schools-test", "assessment-platform", "iro-lms", "fed-routes"


def ed(n: int) -> str:
    return f"ed-{n:032x}"


class Feed:
    def __init__(self, region: str):
        self.region = region

    def ev(self, cls: type[Event], payload, source: str, day: date = START) -> Event:
        when = datetime.combine(day, time(9), tzinfo=UTC)
        return cls.create(payload, source=source, region=self.region, occurred_at=when)

    def teacher(self, n: int, birth: int = 1980, career: date = date(2005, 9, 1), school: str = "s1") -> Event:
        return self.ev(
            EducatorRegistered,
            EducatorRecorded(
                educator_id=ed(n),
                role="teacher",
                organization_id=school,
                municipality_id="m1" if school == "s1" else "m2",
                birth_year=birth,
                career_start=career,
                registered_on=START,
            ),
            CNPPM,
        )

    def staff(self, sid: str, kind: str) -> Event:
        return self.ev(
            SupportStaffRegistered,
            SupportStaffRecorded(
                staff_id=sid,
                kind=kind,  # type: ignore[arg-type]
                organization_id="cnppm",
                municipality_id="m1",
                capacity=250,
                employed_from=date(2024, 1, 1),
            ),
            CNPPM,
        )

    def form(self, n: int, supporter: str | None, confirmed: bool) -> Event:
        return self.ev(
            SupportFormReported,
            SupportForm(
                support_id=f"form-{n}",
                educator_id=ed(n),
                kind="mentoring",
                supporter_id=supporter,
                confirmed=confirmed,
                started_on=date(2024, 10, 1),
            ),
            SCHOOLS,
            date(2024, 12, 1),  # reported two months late
        )

    def attach(self, n: int, methodist: str) -> Event:
        return self.ev(
            MethodistAttachmentReported,
            MethodistAttachment(
                attachment_id=f"att-{n}",
                educator_id=ed(n),
                methodist_id=methodist,
                confirmed=True,
                attached_from=date(2024, 9, 15),
            ),
            SCHOOLS,
        )

    def diagnosis(self, n: int, by: str) -> Event:
        comps = framework_competencies()["teacher"]
        return self.ev(
            DiagnosticResultSubmitted,
            DiagnosticResult(
                session_id=f"s-{n}",
                educator_id=ed(n),
                role="teacher",
                kind="initial",
                taken_on=date(2024, 11, 1),
                scores=dict.fromkeys(comps, 20.0),
                conducted_by=by,  # type: ignore[arg-type]
            ),
            ASSESSMENT,
            date(2024, 11, 1),
        )


async def _publish(publisher: EventPublisher, events: list[Event]) -> None:
    for start in range(0, len(events), 500):
        await publisher.publish_all(events[start : start + 500], inbound=True)


async def test_world_facts_decide_i5_e1_i1_i2_and_a_refused_completion_counts_nowhere(infra, prefix, tmp_path):
    region = region_code()
    f = Feed(region)
    keys = {s: secrets.token_hex(16).encode() for s in (CNPPM, SCHOOLS, ASSESSMENT, LMS, FEDERAL)}
    targets = tmp_path / "targets.yaml"
    targets.write_text("default: {E1: 250, I5: 0.7}\n", encoding="utf-8")
    comps = framework_competencies()["teacher"]
    facts = [
        f.ev(
            OrganizationRegistered,
            OrganizationRecorded(organization_id=o, kind="school", title=o, municipality_id=m),
            CNPPM,
        )
        for o, m in (("s1", "m1"), ("s2", "m2"))
    ]
    facts += [
        f.ev(
            ProgramRegistered,
            ProgramRecorded(
                program_id="p-1",
                provider_id="s1",
                title="Программа из ФР ДПП",
                hours=36,
                competencies=(comps[0],),
                topic="methodical",
                register_id="FR-1",
                register_from=date(2024, 1, 1),
            ),
            CNPPM,
        ),
        f.staff("met-a", "methodist"),
        f.staff("met-b", "methodist"),
        f.staff("men-1", "mentor"),
    ]
    # 300 teachers attached to one methodist, 5 teachers with none (in another municipality)
    facts += [f.teacher(n) for n in range(1, 301)] + [f.attach(n, "met-a") for n in range(1, 301)]
    facts += [f.teacher(n, school="s2") for n in range(301, 306)]
    # young teachers: a confirmed form with a mentor; no form; an unconfirmed form; no mentor named
    young = {"birth": 1999, "career": date(2024, 9, 1)}
    facts += [f.teacher(n, **young) for n in (401, 402, 403, 404)]
    facts += [f.form(401, "men-1", True), f.form(403, "men-1", False), f.form(404, None, True)]
    # a route drawn up on the federal platform
    facts.append(
        f.ev(
            ExternalRouteReported,
            ExternalRoute(
                route_id="fed-3",
                educator_id=ed(3),
                diagnosis_id="fed-dx-3",
                source_system="fed-route-platform",
                developed_on=date(2025, 1, 10),
            ),
            FEDERAL,
            date(2025, 1, 10),
        )
    )
    diagnoses = [f.diagnosis(1, "cnppm"), f.diagnosis(2, "other_centre")]

    with Platform(
        infra, prefix, tmp_path, keys, region, extra_env={"RSNMS_INDICATOR_TARGETS": str(targets)}
    ) as platform:
        broker = KafkaBroker(infra.kafka)
        await broker.start()
        routes_tail = TopicTail(infra.kafka, [str(Topic.ROUTES)], region)
        await routes_tail.start()
        try:
            publisher = EventPublisher(broker, keys=keys)
            await _publish(publisher, facts)
            facts_tail = TopicTail(infra.kafka, [str(Topic.REGISTRY_FACTS)], region)
            await facts_tail.start()
            ids = {e.event_id for e in facts}
            await facts_tail.until(lambda evs: ids <= {e.event_id for e in evs}, 120, "the registry's facts")
            await facts_tail.stop()
            await caught_up(infra.kafka, f"{prefix}.routes", 120)
            await _publish(publisher, diagnoses)
            evs = await routes_tail.until(
                lambda evs: len([e for e in evs if isinstance(e, RouteAssigned)]) >= 2, 120, "two routes"
            )
            route_of = {e.payload.educator_id: e.payload.route_id for e in evs if isinstance(e, RouteAssigned)}
            # ed 1 reports a completion on ed 2's route (refused); ed 2 one on its own route (accepted)
            foreign = f.ev(
                ProgramCompleted,
                Completion(
                    educator_id=ed(1), program_id="p-1", route_id=route_of[ed(2)], completed_on=date(2025, 3, 1)
                ),
                LMS,
                date(2025, 3, 1),
            )
            own = f.ev(
                ProgramCompleted,
                Completion(
                    educator_id=ed(2), program_id="p-1", route_id=route_of[ed(2)], completed_on=date(2025, 3, 2)
                ),
                LMS,
                date(2025, 3, 2),
            )
            # progress for a region the provider may not publish for
            stranger = Feed(region_code()).ev(
                ProgramCompleted,
                Completion(educator_id=ed(2), program_id="p-1", completed_on=date(2025, 3, 3)),
                LMS,
                date(2025, 3, 3),
            )
            await _publish(publisher, [foreign, own, stranger])
            await caught_up(infra.kafka, f"{prefix}.routes", 120)
        finally:
            await routes_tail.stop()
            await broker.stop()

        tail = TopicTail(infra.kafka, FOLDED_TOPICS, region)
        await tail.start()
        try:
            for _ in range(120):
                await tail.poll()
                expected = recompute(tail.events, region, AS_OF)
                actual = production_table(platform, region, AS_OF)
                if actual == expected and ("I3", "region", region) in actual and actual[("I3", "region", region)][0]:
                    break
                await asyncio.sleep(1)
        finally:
            await tail.stop()
        assert not differences(expected, actual), differences(expected, actual)
        table = platform.get("indicators", f"/indicators?region={region}&as_of={AS_OF}")
        row = {(v["indicator"], v["scope_kind"], v["scope_id"]): v for v in table["values"]}

        # I5: 4 young teachers, only the confirmed form with a real mentor counts
        assert (row[("I5", "region", region)]["numerator"], row[("I5", "region", region)]["denominator"]) == (1, 4)
        assert row[("I5", "region", region)]["target_met"] is False
        assert {e.event_type for e in tail.events if e.source == "rsnms-routes"} >= {"SupportProposed"}
        # E1: 300 on one methodist fails, the others are shown without a methodist
        e1 = row[("E1", "region", region)]
        teachers = 300 + 5 + 4
        assert (e1["numerator"], e1["denominator"]) == (300, 2) and e1["target_met"] is False
        assert e1["extra"]["max_load"] == 300 and e1["extra"]["without_methodist"] == teachers - 300
        assert e1["extra"]["methodists_missing"] == 0  # two methodists could carry 309 at 250 each
        assert row[("E1", "municipality", "m2")]["extra"]["without_methodist"] == 5
        reference = recompute_extras(tail.events, region, AS_OF)
        assert e1["extra"] == {k: v for k, v in reference.items() if not k.startswith("source:")}
        # I1: the diagnosis by another centre is not counted; I2: both platform routes and the outside one
        assert row[("I1", "region", region)]["numerator"] == 1
        i2 = row[("I2", "region", region)]
        assert i2["numerator"] == 3 and i2["extra"] == {"source:fed-route-platform": 1.0, "source:platform": 2.0}
        # I3: only ed 2's own completion; ed 1's completion on ed 2's route counts nowhere
        assert row[("I3", "region", region)]["numerator"] == 1
        assert row[("I3", "organization", "s1")]["numerator"] == 1
        letters = [
            DeadLetter.model_validate_json(r.value) for r in await read_topic(infra.kafka, str(Topic.DEAD_LETTER))
        ]
        refused = [d for d in letters if d.event_id == str(foreign.event_id)]
        assert len(refused) == 1 and refused[0].consumer.endswith("routes"), refused
        assert "is not a route of this educator" in refused[0].error
        unauthorised = [d for d in letters if d.event_id == str(stranger.event_id)]
        assert len(unauthorised) == 1 and unauthorised[0].consumer.endswith("routes"), unauthorised
        accepted = {e.payload.educator_id for e in tail.events if e.event_type == "ProgramCompletionAccepted"}
        assert accepted == {ed(2)}
