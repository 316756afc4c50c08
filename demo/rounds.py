"""The regional ministry's part of the demo: two monitoring rounds (a year ago and today) declared
and closed, the passport of the latest approved and sent to the federal operator, and the
financing section submitted, signed as the ministry's system (`roiv-<region>`, deploy/sources.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from contracts import (
    FinancingSection,
    MonitoringRoundClosed,
    MonitoringRoundDeclared,
    PassportApproved,
    PassportDecision,
    PassportSectionSubmitted,
    PassportSent,
    RoundClosure,
    RoundDeclaration,
    SectionSubmission,
)
from rsnms_runtime.kafka import EventPublisher


def ministry_source(region: str) -> str:
    return "roiv-" + region.lower()


def round_id(day: date) -> str:
    return f"{day.year}-{1 if day.month <= 6 else 2}"


async def monitoring_rounds(
    publisher: EventPublisher, region: str, today: date, log: Callable[[str], None] = lambda _: None
) -> list[str]:
    """Declare and close a round a year ago and one today; approve and send today's passport."""
    source, ids = ministry_source(region), []
    for day in (today - timedelta(days=365), today):
        rid = round_id(day)
        ids.append(rid)
        declaration = RoundDeclaration(
            round_id=rid,
            title=f"Мониторинг {day.year} года, {'первое' if day.month <= 6 else 'второе'} полугодие",
            reporting_date=day,
            schedule="semiannual",
            signed_by="minister",
        )
        await publisher.publish(MonitoringRoundDeclared.create(declaration, source=source, region=region))
        closure = RoundClosure(round_id=rid, closed_on=today, signed_by="minister")
        await publisher.publish(MonitoringRoundClosed.create(closure, source=source, region=region))
    latest = ids[-1]
    section = FinancingSection(
        year=today.year, regional_budget_rub=18_400_000, federal_budget_rub=2_100_000, extrabudgetary_rub=350_000
    )
    submission = SectionSubmission(
        round_id=latest, submission_id="financing-1", submitted_on=today, signed_by="head-of-department", data=section
    )
    await publisher.publish(PassportSectionSubmitted.create(submission, source=source, region=region))
    for n, cls in enumerate((PassportApproved, PassportSent), 1):
        decision = PassportDecision(round_id=latest, decision_id=f"demo-{n}", decided_on=today, signed_by="minister")
        await publisher.publish(cls.create(decision, source=source, region=region))
    log(f"the ministry closed rounds {', '.join(ids)}; the passport of {latest} is approved and sent")
    return ids
