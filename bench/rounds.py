"""What late-event detection costs the fold: the rounds' observer (diagnoses kept for the
analysis, events late for closed rounds recorded) against the indicators' fold of the same
batches, in process, side by side (no stack: both write to stores that keep nothing).

    python -m bench.rounds [--municipalities 6] [--repeat 3]

Cases: no closed round; two closed rounds whose versions include every event (a replay); two
closed rounds whose versions include none (every event dated before them is late: the worst case).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from contracts import Deficit, DeficitDiagnosed, Diagnosis
from demo.competencies import framework_competencies
from demo.generator import RegionGenerator, RegionSpec
from rsnms_runtime.kafka import Incoming
from services.indicators.domain.resources import InformationResources
from services.indicators.domain.rounds import ClosedRound
from services.indicators.domain.targets import Targets
from services.indicators.rounds_service import RoundsService
from services.indicators.service import IndicatorsService

REGION = "RU-BEN"
TOPIC = "rsnms.registry.facts"


class Nothing:
    """Stores that keep nothing (the cost measured is the code's, not the database's)."""

    async def append(self, records: Mapping[Any, Any], positions: Mapping[Any, Any]) -> None: ...
    async def add_diagnoses(self, items: Sequence[Any]) -> None: ...
    async def add_late(self, items: Sequence[Any]) -> None: ...


def batch(municipalities: int) -> list[Incoming]:
    spec = RegionSpec(region=REGION, municipalities=municipalities, today=date(2025, 11, 30), seed=3)
    region = RegionGenerator(spec, framework_competencies()).generate()
    events = list(region.registry)
    for i, e in enumerate(region.diagnostics):  # as the diagnostics service would publish them
        p: Any = e.payload
        deficits = tuple(
            Deficit(competency=c, area="a", score=s, threshold=60, severity="severe")
            for c, s in p.scores.items()
            if s < 60
        )
        diagnosis = Diagnosis(
            diagnosis_id=f"dx{i}",
            session_id=p.session_id,
            educator_id=p.educator_id,
            role=p.role,
            kind=p.kind,
            diagnosed_on=p.taken_on,
            framework_id="fw",
            scores=p.scores,
            deficits=deficits,
            conducted_by="cnppm",
        )
        events.append(DeficitDiagnosed.create(diagnosis, source="rsnms-diagnostics", region=REGION))
    return [Incoming(e, TOPIC, 0, i, b"") for i, e in enumerate(events)]


async def measure(incoming: list[Incoming], closed: list[ClosedRound], repeat: int) -> tuple[float, float]:
    fold = observe = 0.0
    for _ in range(repeat):
        indicators = IndicatorsService(Nothing(), Nothing(), Nothing())  # type: ignore[arg-type]
        rounds = RoundsService(indicators, Nothing(), Targets(), InformationResources())  # type: ignore[arg-type]
        rounds.watch(closed)
        started = time.perf_counter()
        await indicators.handle(incoming)
        middle = time.perf_counter()
        await rounds.observe(incoming)
        observe += time.perf_counter() - middle
        fold += middle - started
    n = repeat * len(incoming)
    return fold / n * 1e6, observe / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--municipalities", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    incoming = batch(args.municipalities)
    every = {(TOPIC, 0): len(incoming)}
    cases = {
        "no closed round": [],
        "2 closed rounds, replayed events": [
            ClosedRound(REGION, r, d, every) for r, d in (("a", date(2024, 11, 30)), ("b", date(2025, 5, 31)))
        ],
        "2 closed rounds, every event new": [
            ClosedRound(REGION, r, d, {}) for r, d in (("a", date(2024, 11, 30)), ("b", date(2025, 5, 31)))
        ],
    }
    print(f"{len(incoming)} events of a generated region, {args.repeat} runs each")
    for label, closed in cases.items():
        fold, observe = asyncio.run(measure(incoming, closed, args.repeat))
        print(
            f"{label:36s} fold {fold:6.1f} µs/event  observer {observe:6.2f} µs/event  observer/fold {observe / fold:.3f}"
        )


if __name__ == "__main__":
    main()
