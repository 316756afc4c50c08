"""Use cases of monitoring rounds, the passport's life and the round's analysis and report.

- `handle(batch)`: the governance consumer (`rsnms.governance.submitted`): rounds declared and
  closed by the regional ministry (closing freezes version 1), passport decisions (approve,
  send; accept, return from the federal operator), section submissions. A decision out of
  order or an invalid submission is refused with its reason (dead-lettered as `rejected`).
- `observe(batch)`: called by the fold consumer after the fold: keeps the diagnoses the analysis
  reads, and records events that are late for a closed round (before the offsets are committed).
- `revise_due()`: freezes a new version of every round with late events its latest version
  does not include, with the reason (never overwrites a version).
- reads for the HTTP API: rounds, versions, analysis, report, the round's passport.

Freezing re-reads the region's whole folded state from the store (`IndicatorsService.reload`),
so a version includes what every instance folded, and records the Kafka positions it includes.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol

from contracts import (
    DeficitDiagnosed,
    Event,
    KafkaPosition,
    LateEvent,
    MonitoringRoundClosed,
    MonitoringRoundDeclared,
    PassportDocument,
    PassportSectionSubmitted,
    PassportStatusChanged,
    ProgramRequest,
    ProgramRequested,
    RecommendationIssued,
    RoundClosure,
    RoundDeclaration,
    RoundFrozen,
    RoundsSummary,
    RoundsSummaryPublished,
    RoundSummary,
    RoundVersion,
    RoundVersionFrozen,
)
from contracts.report import RoundAnalysis, RoundReport
from rsnms_runtime.kafka import Incoming, Outcome
from rsnms_runtime.logging import get_logger
from services.indicators.adapters.rounds_store import MongoRoundsStore
from services.indicators.domain.analysis import DiagnosisFact, Previous, analyse
from services.indicators.domain.indicators import compute_indicators
from services.indicators.domain.passport import build_passport
from services.indicators.domain.passport_lifecycle import DECISIONS, TransitionRefused, decide, status_of
from services.indicators.domain.recommendations import recommend, safe_id
from services.indicators.domain.records import RegionState
from services.indicators.domain.report import build_report
from services.indicators.domain.resources import InformationResources
from services.indicators.domain.rounds import (
    ClosedRound,
    changes,
    covered,
    first_reason,
    late_for,
    late_reason,
    positions_map,
)
from services.indicators.domain.sections import SubmissionRefused, validate, with_submissions
from services.indicators.domain.targets import Targets
from services.indicators.rounds_config import RoundsConfig

log = get_logger(__name__)
SOURCE = "rsnms-indicators"
VERSION_ATTEMPTS = 20


class Folded(Protocol):
    """What rounds need of the indicators' fold (IndicatorsService)."""

    states: dict[str, RegionState]

    async def reload(self, region: str) -> RegionState: ...

    def position_list(self) -> list[KafkaPosition]: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class RoundsService:
    def __init__(
        self,
        folded: Folded,
        store: MongoRoundsStore,
        targets: Targets,
        resources: InformationResources,
        config: RoundsConfig | None = None,
        now: Callable[[], datetime] = utc_now,
    ):
        self._folded = folded
        self._store = store
        self._targets = targets
        self._resources = resources
        self._config = config or RoundsConfig()
        self._now = now
        #: region -> closed rounds with the positions of their latest version (late detection)
        self._closed: dict[str, list[ClosedRound]] = {}
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        await self.refresh_closed()

    def watch(self, closed: Sequence[ClosedRound]) -> None:
        """Set the closed rounds late detection looks for (benchmarks; `refresh_closed` reads the store)."""
        by_region: dict[str, list[ClosedRound]] = {}
        for r in closed:
            by_region.setdefault(r.region, []).append(r)
        self._closed = by_region

    async def refresh_closed(self) -> None:
        """Reload the closed rounds and their latest versions' positions (another instance may
        have closed or revised one) from the rounds' heads; a closed round without a head has it
        set from its versions. A head left behind its latest version (a crash between the two
        writes) makes events late that are not: `revise_due` reads the versions then, finds them
        included and moves the head."""
        heads = await self._store.heads()
        closed: dict[str, list[ClosedRound]] = {}
        for region, declaration, closure in await self._store.rounds():
            if closure is None:
                continue
            head = heads.get((region, declaration.round_id))
            if head is None:
                versions = await self._store.versions(region, declaration.round_id)
                if not versions:
                    continue
                latest = versions[-1]
                await self._store.add_head(region, latest.round_id, latest.version, latest.kafka_positions)
                head = (latest.version, list(latest.kafka_positions))
            closed.setdefault(region, []).append(
                ClosedRound(region, declaration.round_id, declaration.reporting_date, positions_map(head[1]))
            )
        self._closed = closed

    # the fold's observer ---------------------------------------------------------------------

    async def observe(self, batch: Sequence[Incoming]) -> None:
        """After the fold of a batch: store its diagnoses and the events late for closed rounds."""
        diagnoses: list[tuple[str, DiagnosisFact]] = []
        late: list[tuple[str, str, LateEvent]] = []
        closed = self._closed
        for inc in batch:
            event = inc.event
            if isinstance(event, DeficitDiagnosed):
                p = event.payload
                diagnoses.append(
                    (
                        event.region,
                        DiagnosisFact(
                            educator_id=p.educator_id,
                            diagnosis_id=p.diagnosis_id,
                            diagnosed_on=p.diagnosed_on,
                            scores=dict(p.scores),
                            deficits=frozenset(d.competency for d in p.deficits),
                        ),
                    )
                )
            rounds = closed.get(event.region) if closed else None
            if rounds:
                for r, item in late_for(rounds, event, inc.topic, inc.partition, inc.offset):
                    late.append((r.region, r.round_id, item))
        await self._store.add_diagnoses(diagnoses)
        await self._store.add_late(late)

    # the governance consumer -----------------------------------------------------------------

    async def handle(self, batch: list[Incoming]) -> Outcome:
        outcome = Outcome()
        async with self._lock:
            for inc in batch:
                try:
                    outcome.emit.extend(await self._apply(inc.event))
                except (TransitionRefused, SubmissionRefused, RoundRefused) as exc:
                    log.warning("governance_refused", event_type=inc.event.event_type, reason=str(exc))
                    outcome.rejected.append((inc, str(exc)))
        return outcome

    async def _apply(self, event: Event) -> list[Event]:
        region = event.region
        if isinstance(event, MonitoringRoundDeclared):
            return await self._declare(region, event.payload)
        if isinstance(event, MonitoringRoundClosed):
            return await self._close(region, event.payload)
        if isinstance(event, DECISIONS):
            return await self._decide(region, event)
        if isinstance(event, PassportSectionSubmitted):
            return await self._submit(region, event)
        return []

    async def _declare(self, region: str, declaration: RoundDeclaration) -> list[Event]:
        if await self._store.declare(region, declaration):
            log.info("round_declared", region=region, round_id=declaration.round_id)
            return [await self.summary_event(region)]
        found = await self._store.round(region, declaration.round_id)
        assert found is not None
        if found[0].reporting_date != declaration.reporting_date:
            raise RoundRefused(
                f"тур {declaration.round_id} уже объявлен с датой отчёта {found[0].reporting_date.isoformat()}; "
                "изменить дату закрытого или объявленного тура нельзя — объявите новый тур"
            )
        return []

    async def _close(self, region: str, closure: RoundClosure) -> list[Event]:
        found = await self._store.round(region, closure.round_id)
        if found is None:
            raise RoundRefused(f"тур {closure.round_id} не объявлен: закрыть можно только объявленный тур")
        declaration, stored = found
        if await self._store.versions(region, closure.round_id):
            return []  # closed before: its versions stand
        if closure.closed_on < declaration.reporting_date:
            raise RoundRefused(
                f"тур {closure.round_id}: дата закрытия {closure.closed_on.isoformat()} раньше даты отчёта "
                f"{declaration.reporting_date.isoformat()}"
            )
        if stored is None:
            await self._store.close(region, closure)
        return await self._freeze(region, declaration, first_reason(closure.closed_on, closure.signed_by), ())

    async def _decide(self, region: str, event: Event) -> list[Event]:
        p: Any = event.payload
        if await self._store.round(region, p.round_id) is None:
            raise TransitionRefused(f"паспорт тура {p.round_id}: тур не объявлен")
        history = await self._store.decisions(region, p.round_id)
        done = next((h for h in history if h.decision_event_id == str(event.event_id)), None)
        if done is None:
            closed = bool((await self._store.version_numbers(region)).get(p.round_id))
            done = decide(history, event, closed)
            if not await self._store.add_decision(region, done):
                raise RuntimeError(f"passport decision {done.sequence} of {p.round_id} written concurrently; retrying")
            log.info("passport_status_changed", region=region, round_id=p.round_id, status=done.status)
        return [
            PassportStatusChanged.create(done, source=SOURCE, region=region),
            await self.summary_event(region),
        ]

    async def _submit(self, region: str, event: PassportSectionSubmitted) -> list[Event]:
        s = event.payload
        found = await self._store.round(region, s.round_id)
        state = self._folded.states.get(region) or RegionState(region)
        orgs = {oid: o.municipality_id for oid, o in state.facts("organization").items()}
        validate(s, found[0].reporting_date if found else None, set(orgs.values()), orgs)
        await self._store.add_submission(region, s, event.source)
        log.info("passport_section_submitted", region=region, round_id=s.round_id, section=s.data.section)
        return []

    # freezing ---------------------------------------------------------------------------------

    async def _passport(
        self,
        region: str,
        round_id: str,
        state: RegionState,
        day: date,
        values: Sequence[Any],
        positions: Sequence[KafkaPosition],
    ) -> PassportDocument:
        document = build_passport(state, day, values, positions, self._resources.for_region(region))
        orgs = state.facts("organization")
        municipalities = {o.municipality_id for o in orgs.values()}
        sites = {oid for oid, o in orgs.items() if o.kind == "internship_site"}
        return with_submissions(document, await self._store.submissions(region, round_id), municipalities, sites)

    async def _previous(self, region: str, declaration: RoundDeclaration) -> Previous | None:
        earlier = [
            d
            for r, d, c in await self._store.rounds(region)
            if c is not None and d.reporting_date < declaration.reporting_date
        ]
        for d in sorted(earlier, key=lambda d: (d.reporting_date, d.round_id), reverse=True):
            versions = await self._store.versions(region, d.round_id)
            if versions:
                return Previous(d.round_id, d.reporting_date, versions[-1].indicators)
        return None

    async def _freeze(
        self, region: str, declaration: RoundDeclaration, reason: str, late: Sequence[LateEvent]
    ) -> list[Event]:
        day = declaration.reporting_date
        state = await self._folded.reload(region)
        values = compute_indicators(state, region, day, self._targets)
        positions = self._folded.position_list()
        passport = await self._passport(region, declaration.round_id, state, day, values, positions)
        for _ in range(VERSION_ATTEMPTS):
            versions = await self._store.versions(region, declaration.round_id)
            number = (versions[-1].version if versions else 0) + 1
            diff = changes(versions[-1].indicators, values) if versions else ()
            version = RoundVersion(
                round_id=declaration.round_id,
                region=region,
                version=number,
                title=declaration.title,
                reporting_date=day,
                schedule=declaration.schedule,
                frozen_at=self._now(),
                reason=late_reason(day, late, len(diff)) if late else reason,
                late_events=tuple(late),
                changes=diff,
                indicators=tuple(values),
                passport=passport,
                kafka_positions=tuple(positions),
            )
            if await self._store.add_version(version):
                break
        else:
            raise RuntimeError(f"no free version for round {declaration.round_id} of {region}")
        analysis = analyse(
            round_id=declaration.round_id,
            version=number,
            state=state,
            diagnoses=await self._store.diagnoses(region),
            current=values,
            reporting_date=day,
            previous=await self._previous(region, declaration),
            plan=self._config.volumes(region, day.year),
        )
        recommendations = recommend(analysis)
        await self._store.add_analysis(region, analysis, recommendations)
        await self.refresh_closed()
        log.info("round_version_frozen", region=region, round_id=declaration.round_id, version=number, late=len(late))
        frozen = RoundFrozen(
            round_id=declaration.round_id,
            region=region,
            version=number,
            reporting_date=day,
            frozen_at=version.frozen_at,
            reason=version.reason,
            late_events=len(late),
            changed_values=len(version.changes),
            kafka_positions=version.kafka_positions,
        )
        out: list[Event] = [RoundVersionFrozen.create(frozen, source=SOURCE, region=region)]
        for u in analysis.uncovered:
            request = ProgramRequest(
                request_id=safe_id(f"{declaration.round_id}:v{number}:{u.competency}:{u.municipality_id}"),
                round_id=declaration.round_id,
                version=number,
                competency=u.competency,
                municipality_id=u.municipality_id,
                educators=u.educators,
            )
            out.append(ProgramRequested.create(request, source=SOURCE, region=region))
        out += [RecommendationIssued.create(r, source=SOURCE, region=region) for r in recommendations]
        out.append(await self.summary_event(region))
        return out

    async def revise_due(self) -> list[Event]:
        """New versions of the rounds that have late events their latest version does not include;
        the late events a version includes are forgotten."""
        await self.refresh_closed()
        included = {(r.region, r.round_id): r.positions for rounds in self._closed.values() for r in rounds}
        pending: dict[tuple[str, str], list[LateEvent]] = {}
        done: list[tuple[str, str, LateEvent]] = []
        for region, round_id, late in await self._store.late():
            if covered(late, included.get((region, round_id), {})):
                done.append((region, round_id, late))
            else:
                pending.setdefault((region, round_id), []).append(late)
        out: list[Event] = []
        for (region, round_id), items in sorted(pending.items()):
            async with self._lock:
                versions = await self._store.versions(region, round_id)
                if not versions:
                    continue
                last = versions[-1]
                await self._store.add_head(region, round_id, last.version, last.kafka_positions)
                latest = positions_map(last.kafka_positions)
                done += [(region, round_id, x) for x in items if covered(x, latest)]
                fresh = sorted(
                    (x for x in items if not covered(x, latest)), key=lambda x: (x.topic, x.partition, x.offset)
                )
                if not fresh:
                    continue
                found = await self._store.round(region, round_id)
                assert found is not None
                out += await self._freeze(region, found[0], "", fresh)
        await self._store.drop_late(done)
        return out

    # reads ------------------------------------------------------------------------------------

    async def summary(self, region: str) -> RoundsSummary:
        numbers = await self._store.version_numbers(region)
        rounds: list[RoundSummary] = []
        statuses: Counter[str] = Counter()
        for _, declaration, _closure in await self._store.rounds(region):
            rid = declaration.round_id
            status = status_of(await self._store.decisions(region, rid))
            statuses[status] += 1
            versions = numbers.get(rid, [])
            analysis = await self._store.analysis(region, rid, versions[-1]) if versions else None
            rounds.append(
                RoundSummary(
                    round_id=rid,
                    reporting_date=declaration.reporting_date,
                    closed=bool(versions),
                    versions=len(versions),
                    passport_status=status,
                    recommendations=len(analysis[1]) if analysis else 0,
                    program_requests=len(analysis[0].uncovered) if analysis else 0,
                )
            )
        return RoundsSummary(
            region=region, computed_at=self._now(), rounds=tuple(rounds), passports_by_status=dict(statuses)
        )

    async def summary_event(self, region: str) -> RoundsSummaryPublished:
        return RoundsSummaryPublished.create(await self.summary(region), source=SOURCE, region=region)

    async def rounds(self, region: str) -> list[dict[str, Any]]:
        out = []
        for _, declaration, closure in await self._store.rounds(region):
            versions = await self._store.versions(region, declaration.round_id)
            out.append(
                {
                    **declaration.model_dump(mode="json"),
                    "closed": closure.model_dump(mode="json") if closure else None,
                    "passport_status": status_of(await self._store.decisions(region, declaration.round_id)),
                    "versions": [
                        {
                            "version": v.version,
                            "frozen_at": v.frozen_at.isoformat(),
                            "reason": v.reason,
                            "late_events": len(v.late_events),
                            "changed_values": len(v.changes),
                        }
                        for v in versions
                    ],
                }
            )
        return out

    async def version(self, region: str, round_id: str, number: int | None = None) -> RoundVersion | None:
        versions = await self._store.versions(region, round_id)
        if number is None:
            return versions[-1] if versions else None
        return next((v for v in versions if v.version == number), None)

    async def analysis(
        self, region: str, round_id: str, number: int | None = None
    ) -> tuple[RoundVersion, RoundAnalysis, list[Any]] | None:
        version = await self.version(region, round_id, number)
        if version is None:
            return None
        found = await self._store.analysis(region, round_id, version.version)
        if found is None:
            return None
        return version, found[0], found[1]

    async def passport(self, region: str, round_id: str) -> dict[str, Any] | None:
        """The round's passport as frozen, with the sections submitted up to now, and its life."""
        version = await self.version(region, round_id)
        if version is None:
            return None
        state = self._folded.states.get(region) or RegionState(region)
        orgs = state.facts("organization")
        document = with_submissions(
            version.passport,
            await self._store.submissions(region, round_id),
            {o.municipality_id for o in orgs.values()},
            {oid for oid, o in orgs.items() if o.kind == "internship_site"},
        )
        history = await self._store.decisions(region, round_id)
        return {
            "round_id": round_id,
            "region": region,
            "version": version.version,
            "status": status_of(history),
            "history": [h.model_dump(mode="json") for h in history],
            "document": document.model_dump(mode="json"),
        }

    async def report(self, region: str, round_id: str, number: int | None = None) -> RoundReport | None:
        found = await self.analysis(region, round_id, number)
        if found is None:
            return None
        version, analysis, recommendations = found
        passport = await self.passport(region, round_id)
        completeness = PassportDocument.model_validate(passport["document"]).completeness if passport else ()
        return build_report(
            version,
            analysis,
            recommendations,
            passport["status"] if passport else "draft",
            completeness,
            self._now(),
        )


class RoundRefused(ValueError):
    """A round declaration or closure that contradicts what is known (Russian reason)."""
