"""What the rounds' revision loop (every second) reads: the rounds and their heads, never the
versions (each holds a whole frozen table) while nothing late waits for one; late events a
version already includes are forgotten. A fake store; the real one is in tests/infra."""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts import KafkaPosition, LateEvent, RoundClosure, RoundDeclaration, RoundVersion
from services.indicators.domain.resources import InformationResources
from services.indicators.domain.targets import Targets
from services.indicators.rounds_service import RoundsService

R, ROUND, TOPIC = "RU-TST", "2024-2", "rsnms.registry.facts"


def late(offset: int) -> LateEvent:
    return LateEvent(
        event_id=f"e{offset}",
        event_type="EducatorRegistered",
        dated=date(2024, 3, 1),
        topic=TOPIC,
        partition=0,
        offset=offset,
    )


class Store:
    """The rounds store's reads the loop makes, with a closed round whose version 1 includes
    offsets below 10 of partition 0."""

    def __init__(self, late: list[LateEvent], versions: list[Any] | None = None):
        self.late_events = late
        self.stored_versions = versions or []
        self.dropped: list[tuple[str, str, LateEvent]] = []
        self.read_versions = 0
        self.advanced: list[tuple[str, str, int, list[KafkaPosition]]] = []

    async def rounds(self) -> list[tuple[str, RoundDeclaration, RoundClosure | None]]:
        declaration = RoundDeclaration(round_id=ROUND, title="Тур", reporting_date=date(2024, 11, 30), signed_by="x")
        return [(R, declaration, RoundClosure(round_id=ROUND, closed_on=date(2024, 12, 10), signed_by="x"))]

    async def heads(self) -> dict[tuple[str, str], tuple[int, list[KafkaPosition]]]:
        return {(R, ROUND): (1, [KafkaPosition(topic=TOPIC, partition=0, offset=10)])}

    async def late(self) -> list[tuple[str, str, LateEvent]]:
        return [(R, ROUND, x) for x in self.late_events]

    async def drop_late(self, items: list[tuple[str, str, LateEvent]]) -> None:
        self.dropped += items

    async def versions(self, region: str, round_id: str) -> list[Any]:
        self.read_versions += 1
        return self.stored_versions

    async def add_head(self, region: str, round_id: str, version: int, positions: list[KafkaPosition]) -> None:
        self.advanced.append((region, round_id, version, list(positions)))


async def test_nothing_late_reads_no_version():
    store = Store([])
    service = RoundsService(None, store, Targets(), InformationResources())  # type: ignore[arg-type]
    assert await service.revise_due() == [] and store.read_versions == 0


async def test_late_events_a_version_includes_are_forgotten_without_reading_it():
    store = Store([late(3), late(9)])
    service = RoundsService(None, store, Targets(), InformationResources())  # type: ignore[arg-type]
    assert await service.revise_due() == []
    assert store.read_versions == 0 and store.dropped == [(R, ROUND, late(3)), (R, ROUND, late(9))]


async def test_a_late_event_past_the_head_is_checked_against_the_versions():
    store = Store([late(3), late(12)])
    service = RoundsService(None, store, Targets(), InformationResources())  # type: ignore[arg-type]
    await service.revise_due()
    assert store.read_versions == 1 and store.dropped == [(R, ROUND, late(3))]


async def test_a_head_left_behind_its_version_is_moved_when_a_late_event_is_checked():
    """A crash between a version and its head: the head (version 1, offset 10) makes an event at
    offset 12 late, version 2 (offset 20) includes it: nothing is frozen, the event is forgotten
    and the head moves to version 2."""
    version_2 = RoundVersion.model_construct(
        version=2, kafka_positions=(KafkaPosition(topic=TOPIC, partition=0, offset=20),)
    )
    store = Store([late(12)], versions=[version_2])
    service = RoundsService(None, store, Targets(), InformationResources())  # type: ignore[arg-type]
    assert await service.revise_due() == []
    assert store.dropped == [(R, ROUND, late(12))]
    assert store.advanced == [(R, ROUND, 2, [KafkaPosition(topic=TOPIC, partition=0, offset=20)])]
