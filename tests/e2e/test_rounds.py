"""Monitoring rounds end to end on the real parts (the four services as processes, the real
Kafka broker and FerretDB server): a generated region, two rounds declared and closed by the
regional ministry; the second round's deltas, below-target lists, deficit map and program
requests against an independent recomputation from the raw events; a late event dated before
the first round produces a new version of it; the passport goes approve → send → return →
send → accept by signed events, an unauthorised system is dead-lettered; section submissions
are validated and the passport's completeness follows them; the report and the federal feed."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
import yaml
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from contracts import (
    AssociationsRow,
    DeadLetter,
    EducatorRecorded,
    EducatorRegistered,
    Event,
    FinancingSection,
    MethodicalAssociationsSection,
    MmsStaffRow,
    MmsStaffSection,
    MonitoringRoundClosed,
    MonitoringRoundDeclared,
    PassportAccepted,
    PassportApproved,
    PassportDecision,
    PassportReturned,
    PassportSectionSubmitted,
    PassportSent,
    PassportStatusChanged,
    ProgramRequested,
    RecommendationIssued,
    RoundClosure,
    RoundDeclaration,
    RoundsSummaryPublished,
    RoundVersion,
    RoundVersionFrozen,
    SectionSubmission,
    Topic,
)
from contracts.events.rounds import GOVERNANCE_EVENTS
from contracts.pseudonym import educator_pseudonym
from contracts.report import RoundReport
from demo.feed import TopicTail, caught_up
from demo.generator import RegionSpec
from rsnms_runtime.kafka import EventPublisher
from rsnms_runtime.sources import signed_headers
from services.indicators.adapters.rounds_store import MongoRoundsStore
from tests.e2e import rounds_reference as ref
from tests.e2e.checks import differences, feed, region_under_test, settled
from tests.e2e.platform import Platform
from tests.support.factories import region_code
from tests.support.kafka import eventually, read_topic

pytestmark = [pytest.mark.infra, pytest.mark.e2e]
TODAY = date(2025, 11, 30)
D1, D2 = date(2024, 11, 30), date(2025, 11, 30)
R1, R2 = "2024-2", "2025-2"
MINISTRY, FEDERAL = "roiv-test", "federal-operator"


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=UTC)


def decision(cls: type[Event], region: str, source: str, n: int, day: date, *remarks: str) -> Event:
    payload = PassportDecision(
        round_id=R2, decision_id=f"d{n}", decided_on=day, signed_by="deputy-minister", remarks=remarks
    )
    return cls.create(payload, source=source, region=region, occurred_at=_at(day))


def submission(region: str, n: int, data: object) -> PassportSectionSubmitted:
    payload = SectionSubmission(
        round_id=R2, submission_id=f"s{n}", submitted_on=D2, signed_by="head-of-department", data=data
    )
    return PassportSectionSubmitted.create(payload, source=MINISTRY, region=region, occurred_at=_at(D2))


async def test_two_rounds_late_versions_passport_life_sections_and_report(infra, prefix, tmp_path):
    region = region_code()
    spec = RegionSpec(
        region=region,
        municipalities=3,
        schools_per_municipality=(2, 4),
        educators_per_school=(8, 14),
        programs=5,
        today=TODAY,
        seed=14,
    )
    generator, keys = region_under_test(spec)
    keys |= {MINISTRY: secrets.token_hex(16).encode(), FEDERAL: secrets.token_hex(16).encode()}
    kinds = {c.model_fields["event_type"].default for c in GOVERNANCE_EVENTS}
    grants = {
        MINISTRY: sorted(kinds - {"PassportAccepted", "PassportReturned"}),
        FEDERAL: ["PassportAccepted", "PassportReturned"],
    }
    goals = {"I1": 0.2, "I2": 0.15, "I3": 0.3, "I4R": 0.4, "I5": 0.7, "E1": 250, "E2": 1.0}
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump({"regions": {region: {"years": {2024: goals, 2025: goals}}}}))
    env = {"RSNMS_INDICATOR_TARGETS": str(targets)}
    with Platform(infra, prefix, tmp_path, keys, region, grants=grants, extra_env=env) as platform:
        fed = await feed(infra, generator, keys, prefix, timeout=240)
        expected, actual, _ = await settled(infra.kafka, platform, region, D2)
        assert not differences(expected, actual)
        # the platform's own consequences (routes completed after the providers' reports) are
        # facts too: close the rounds once they have all been folded, so only the late event
        # below is late
        quiet = TopicTail(infra.kafka, [str(Topic.ROUTES), str(Topic.REGISTRY_FACTS)], region)
        await quiet.start()
        try:
            await quiet.quiet(3.0, 120, "the routes")
        finally:
            await quiet.stop()
        for service in ("routes", "indicators"):
            await caught_up(infra.kafka, f"{prefix}.{service}", 120)

        broker = KafkaBroker(infra.kafka)
        await broker.start()
        publisher = EventPublisher(broker, keys=keys)
        tail = TopicTail(
            infra.kafka,
            [
                str(Topic.REGISTRY_FACTS),
                str(Topic.DEFICITS),
                str(Topic.ROUTES),
                str(Topic.PROGRESS),
                str(Topic.ROUNDS),
                str(Topic.AGGREGATES),
            ],
            region,
        )
        await tail.start()
        try:
            # -- two rounds, declared and closed by the regional ministry ---------------------
            for rid, day in ((R1, D1), (R2, D2)):
                declaration = RoundDeclaration(
                    round_id=rid,
                    title=f"Мониторинг {day.year}, второе полугодие",
                    reporting_date=day,
                    schedule="semiannual",
                    signed_by="minister",
                )
                await publisher.publish(MonitoringRoundDeclared.create(declaration, source=MINISTRY, region=region))

            def frozen(rid: str, version: int):
                return lambda evs: any(
                    isinstance(e, RoundVersionFrozen) and (e.payload.round_id, e.payload.version) == (rid, version)
                    for e in evs
                )

            # a region's governance events are applied in order: the second round, closed after the
            # first, is compared with it
            for rid, day in ((R1, D1), (R2, D2)):
                closure = RoundClosure(round_id=rid, closed_on=day, signed_by="minister")
                await publisher.publish(MonitoringRoundClosed.create(closure, source=MINISTRY, region=region))
            await tail.until(lambda evs: frozen(R1, 1)(evs) and frozen(R2, 1)(evs), 120, "both rounds frozen")

            await tail.until(frozen(R2, 1), 120, "round 2 frozen")
            events = await tail.quiet(1.0, 60, "the topics")
            raw = [
                e
                for e in events
                if e.event_type
                not in {
                    "RoundVersionFrozen",
                    "ProgramRequested",
                    "RecommendationIssued",
                    "PassportStatusChanged",
                    "RoundsSummaryPublished",
                    "IndicatorsPublished",
                }
            ]

            first = RoundVersion.model_validate(
                platform.get("indicators", f"/rounds/version?region={region}&round={R1}")
            )
            second = RoundVersion.model_validate(
                platform.get("indicators", f"/rounds/version?region={region}&round={R2}")
            )
            assert (first.version, second.version) == (1, 1), (second.reason, second.late_events[:3])
            assert {
                (v.indicator, v.scope_kind, v.scope_id): (v.numerator, v.denominator) for v in first.indicators
            } == ref.indicator_counts(raw, region, D1)
            assert {
                (v.indicator, v.scope_kind, v.scope_id): (v.numerator, v.denominator) for v in second.indicators
            } == ref.indicator_counts(raw, region, D2)
            assert {p.topic for p in second.kafka_positions} >= {str(Topic.REGISTRY_FACTS), str(Topic.DEFICITS)}
            assert "закрыт" in first.reason

            # -- the second round's analysis against the independent recomputation -----------
            body = platform.get("indicators", f"/rounds/analysis?region={region}&round={R2}")
            analysis = body["analysis"]
            assert analysis["previous_round_id"] == R1
            deltas = {
                (x["indicator"], x["scope_kind"], x["scope_id"]): (
                    (x["before"]["numerator"], x["before"]["denominator"]) if x["before"] else None,
                    (x["after"]["numerator"], x["after"]["denominator"]) if x["after"] else None,
                )
                for x in analysis["deltas"]
            }
            assert deltas == ref.deltas(raw, region, D1, D2)
            assert any(b != a for b, a in deltas.values()), "the region should change between the rounds"
            below = {(b["indicator"], b["scope_kind"], b["scope_id"]) for b in analysis["below_target"]}
            assert below == ref.below_target(raw, region, D2, targets) and below
            cells = {
                (c["municipality_id"], c["competency"]): (c["educators"], c["diagnosed"])
                for c in analysis["deficit_map"]
            }
            assert cells == ref.deficit_map(raw, region, D2) and cells
            requests_expected = ref.program_requests(raw, region, D2)
            assert requests_expected, "some deficits should lack a program in a 5-program catalogue"
            await tail.until(
                lambda evs: (
                    len([e for e in evs if isinstance(e, ProgramRequested) and e.payload.round_id == R2])
                    >= len(requests_expected)
                ),
                60,
                "the program requests",
            )
            requested = {
                (e.payload.competency, e.payload.municipality_id): e.payload.educators
                for e in tail.events
                if isinstance(e, ProgramRequested) and (e.payload.round_id, e.payload.version) == (R2, 1)
            }
            assert requested == requests_expected
            effects = {
                x["program_id"]: (
                    x["completers"],
                    x["pairs"],
                    x["mean_growth"],
                    x["closed_share"],
                    x["comparison_pairs"],
                    x["comparison_mean_growth"],
                    x["comparison_closed_share"],
                )
                for x in analysis["effectiveness"]
            }
            assert effects == ref.effectiveness(raw, region, D2)
            assert effects, "some completers should have been re-diagnosed"
            recommendations = body["recommendations"]
            assert recommendations and all(r["figures"] and r["text"] for r in recommendations)
            rules = {r["rule"] for r in recommendations}
            assert {"below_target_organization", "uncovered_deficit"} <= rules
            issued = {
                e.payload.recommendation_id
                for e in tail.events
                if isinstance(e, RecommendationIssued) and e.payload.round_id == R2
            }
            assert {r["recommendation_id"] for r in recommendations} <= issued
            assert [v["measure"] for v in analysis["volumes"]] == ["routes", "trained", "management_teams"]

            # -- a late event dated before the first round: a new version, never an overwrite --
            school = next(e.payload for e in fed.region.registry if isinstance(e, EducatorRegistered))
            late = EducatorRegistered.create(
                EducatorRecorded(
                    educator_id=educator_pseudonym(f"{secrets.randbelow(10**11):011d}", generator.key),
                    role="teacher",
                    organization_id=school.organization_id,
                    municipality_id=school.municipality_id,
                    birth_year=1980,
                    career_start=date(2003, 9, 1),
                    registered_on=date(2024, 3, 1),
                ),
                source=generator.src_registry,
                region=region,
                occurred_at=_at(date(2025, 12, 1)),
            )
            await publisher.publish(late, topic=str(Topic.REGISTRY_SUBMITTED))
            await tail.until(lambda evs: frozen(R1, 2)(evs) and frozen(R2, 2)(evs), 120, "both rounds' version 2")
            versions = platform.get("indicators", f"/rounds?region={region}")["rounds"]
            r1 = next(r for r in versions if r["round_id"] == R1)
            assert [v["version"] for v in r1["versions"]] == [1, 2]
            revised = RoundVersion.model_validate(
                platform.get("indicators", f"/rounds/version?region={region}&round={R1}&version=2")
            )
            assert "EducatorRegistered" in revised.reason and str(late.event_id) in {
                x.event_id for x in revised.late_events
            }
            assert any(c.indicator == "I1" and c.scope_kind == "region" for c in revised.changes)
            again = RoundVersion.model_validate(
                platform.get("indicators", f"/rounds/version?region={region}&round={R1}&version=1")
            )
            assert again == first, "version 1 must stay as it was frozen"
            # the rounds' heads name version 2, and the late events it includes are forgotten
            mongo = AsyncMongoClient(infra.mongodb)
            try:
                store = MongoRoundsStore(mongo[f"{prefix}_rounds"])

                async def settled_late() -> list[Any] | None:
                    left = await store.late()
                    return None if left else [await store.heads()]

                [heads] = await eventually(settled_late, 30)
            finally:
                await mongo.close()
            assert {rid: version for (reg, rid), (version, _) in heads.items() if reg == region} == {R1: 2, R2: 2}

            # -- the passport's life, by signed decisions --------------------------------------
            steps = [
                decision(PassportApproved, region, MINISTRY, 1, date(2025, 12, 2)),
                decision(PassportAccepted, region, "iro-lms", 2, date(2025, 12, 3)),  # unauthorised
                decision(PassportSent, region, MINISTRY, 3, date(2025, 12, 3)),
                decision(
                    PassportReturned,
                    region,
                    FEDERAL,
                    4,
                    date(2025, 12, 10),
                    "Не заполнен раздел «Финансовое обеспечение»",
                ),
                decision(PassportAccepted, region, FEDERAL, 5, date(2025, 12, 11)),  # out of order: returned
                decision(PassportSent, region, MINISTRY, 6, date(2025, 12, 15)),
                decision(PassportAccepted, region, FEDERAL, 7, date(2025, 12, 20)),
            ]
            for step in steps:
                await publisher.publish(step)
            # -- section submissions: valid, refused by a domain rule, refused by the contract ---
            munis = sorted({v.scope_id for v in second.indicators if v.scope_kind == "municipality"})
            await publisher.publish(
                submission(
                    region,
                    1,
                    FinancingSection(
                        year=2025, regional_budget_rub=12_500_000.5, federal_budget_rub=3_000_000, extrabudgetary_rub=0
                    ),
                )
            )
            await publisher.publish(
                submission(
                    region,
                    2,
                    MmsStaffSection(
                        year=2025, municipalities=(MmsStaffRow(municipality_id=munis[0], staff=4, trained=9),)
                    ),
                )
            )
            await publisher.publish(
                submission(
                    region,
                    3,
                    MethodicalAssociationsSection(
                        municipalities=(AssociationsRow(municipality_id=munis[0], associations=3, members=25),)
                    ),
                )
            )
            bad = submission(
                region,
                4,
                FinancingSection(year=2025, regional_budget_rub=1, federal_budget_rub=1, extrabudgetary_rub=1),
            )
            raw_bad = bad.to_bytes().replace(b'"extrabudgetary_rub":1.0', b'"extrabudgetary_rub":-5.0')
            assert raw_bad != bad.to_bytes()
            topic, key = str(Topic.GOVERNANCE), bad.key.encode()
            headers = signed_headers(MINISTRY, keys[MINISTRY], topic, key, raw_bad)
            await broker.publish(raw_bad, topic=topic, key=key, headers=headers)

            async def passport_accepted():
                found = platform.get("indicators", f"/rounds/passport?region={region}&round={R2}")
                return found if found["status"] == "accepted" else None

            passport = await eventually(passport_accepted, timeout=60)
            history = passport["history"]
            assert [(h["previous"], h["status"], h["decided_by"]) for h in history] == [
                ("draft", "approved", MINISTRY),
                ("approved", "sent", MINISTRY),
                ("sent", "returned", FEDERAL),
                ("returned", "sent", MINISTRY),
                ("sent", "accepted", FEDERAL),
            ]
            assert history[2]["remarks"] == ["Не заполнен раздел «Финансовое обеспечение»"]
            assert all(h["signed_by"] == "deputy-minister" and h["decided_on"] for h in history)

            async def letters():
                found = [
                    DeadLetter.model_validate_json(r.value)
                    for r in await read_topic(infra.kafka, str(Topic.DEAD_LETTER))
                ]
                mine = [x for x in found if x.topic == str(Topic.GOVERNANCE)]
                return mine if len(mine) >= 4 else None

            dead = await eventually(letters, timeout=60)
            by_id = {x.event_id: x for x in dead}
            unauthorised = by_id[str(steps[1].event_id)]
            assert (
                unauthorised.error_kind == "unauthorized" and "may not publish PassportAccepted" in unauthorised.error
            )
            out_of_order = by_id[str(steps[4].event_id)]
            assert out_of_order.error_kind == "rejected" and "возвращён на доработку" in out_of_order.error
            staff = next(x for x in dead if x.event_type == "PassportSectionSubmitted" and x.error_kind == "rejected")
            assert "обучено 9 сотрудников ММС при численности 4" in staff.error
            invalid = next(x for x in dead if x.event_type == "PassportSectionSubmitted" and x.error_kind == "invalid")
            assert "extrabudgetary_rub" in invalid.error and "greater than or equal to 0" in invalid.error
            assert sum(1 for x in dead if x.event_id == str(steps[1].event_id)) == 1

            passport = platform.get("indicators", f"/rounds/passport?region={region}&round={R2}")  # after the letters
            completeness = {c["section"]: c for c in passport["document"]["completeness"]}
            assert (
                completeness["financing"]["status"] == "complete"
                and completeness["financing"]["submitted_by"] == MINISTRY
            )
            assert completeness["mms_staff"]["status"] == "missing" and completeness["mms_staff"]["completeness"] == 0
            assert completeness["methodical_associations"]["status"] == "partial"
            assert completeness["methodical_associations"]["completeness"] == pytest.approx(1 / len(munis))
            assert completeness["students_results"]["status"] == "missing"
            assert completeness["staff"]["source"] == "events"
            assert passport["document"]["financing"]["figures"]["total_rub"] == pytest.approx(15_500_000.5)
            assert passport["document"]["mms_staff"]["note"]

            changes = [
                e
                for e in await tail.until(
                    lambda evs: sum(isinstance(e, PassportStatusChanged) for e in evs) >= 5, 30, "status changes"
                )
                if isinstance(e, PassportStatusChanged)
            ]
            assert [e.payload.status for e in sorted(changes, key=lambda e: e.payload.sequence)] == [
                "approved",
                "sent",
                "returned",
                "sent",
                "accepted",
            ]

            # -- the report and the federal operator's feed --------------------------------------
            report = RoundReport.model_validate(
                platform.get("indicators", f"/rounds/report?region={region}&round={R2}")
            )
            assert report.title.startswith("Аналитическая справка") and report.version == 2
            assert [s.key for s in report.sections] == [
                "general",
                "indicators",
                "below_target",
                "deficits",
                "effectiveness",
                "roadmap",
                "passport",
                "recommendations",
            ]
            assert report.sections[-1].recommendations and "согласован" in report.sections[0].paragraphs[2]
            assert any("," in cell or "%" in cell for t in report.sections[1].tables for row in t.rows for cell in row)

            summaries = [e for e in tail.events if isinstance(e, RoundsSummaryPublished)]
            assert summaries
            summary = platform.get("indicators", f"/rounds/summary?region={region}")
            assert {r["round_id"]: r["versions"] for r in summary["rounds"]} == {R1: 2, R2: 2}
            assert summary["passports_by_status"]["accepted"] == 1
            assert "educator" not in str(summary) and "ed-" not in str(summary)
        finally:
            await tail.stop()
            await broker.stop()
        await asyncio.sleep(0)
