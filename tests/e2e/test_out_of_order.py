"""Out-of-order arrival on the real parts: a small generated region delivered backwards
(diagnostic results first, then the providers' progress on the routes they name, then the
catalogue with the educators' moves and departures, the educators' registrations last) through the four services. Once the
registrations arrive, the held diagnoses and progress are applied: every route and support
form equals what in-order delivery gives (the routes use case run in memory over the same
events in order), and every indicator equals both the independent recomputation from the
topics and the recomputation over the in-order events."""

from __future__ import annotations

from datetime import date

import pytest
from faststream.kafka import KafkaBroker

from contracts import (
    DeadLetter,
    DeficitDiagnosed,
    EducatorRegistered,
    RouteAssigned,
    SupportProposed,
    Topic,
)
from contracts.competency import competency_titles
from demo.feed import TopicTail, caught_up
from demo.generator import RegionSpec
from rsnms_runtime.kafka import EventPublisher, Incoming
from services.routes.domain.config import RoutePolicy
from services.routes.service import RoutesService
from tests.e2e.checks import differences, region_under_test, settled
from tests.e2e.platform import Platform
from tests.e2e.reference import recompute
from tests.support.factories import region_code
from tests.support.kafka import read_topic
from tests.support.routes import FakeStore

pytestmark = [pytest.mark.infra, pytest.mark.e2e]
AS_OF = date(2025, 11, 30)


async def _in_order(facts, deficits, progress) -> list:
    """What the routes use case emits when the same events arrive in order, one kind after the other."""
    service = RoutesService(FakeStore(), RoutePolicy(), competency_titles())
    out = []
    for events in (facts, deficits, progress):
        out.extend((await service.handle([Incoming(e, "t", 0, n, b"") for n, e in enumerate(events)])).emit)
    return out


def _comparable(event) -> tuple:
    payload = event.payload.model_dump(mode="json")
    if isinstance(event, SupportProposed):
        payload.pop("staff_id")  # mentors fill up in the order the registrations are read
        payload.pop("reason")
    return str(event.event_id), event.event_type, repr(sorted(payload.items()))


async def test_events_before_their_registry_facts_end_as_in_order_delivery(infra, prefix, tmp_path):
    region = region_code()
    spec = RegionSpec(
        region=region,
        municipalities=2,
        schools_per_municipality=(2, 3),
        educators_per_school=(6, 10),
        programs=14,
        today=AS_OF,
        seed=47,
        diagnosed_share=0.7,
    )
    generator, keys = region_under_test(spec)
    generated = generator.generate()
    # registrations last; the other registry facts (moves and departures included) before them
    educators = [e for e in generated.registry if isinstance(e, EducatorRegistered)]
    catalogue = [e for e in generated.registry if not isinstance(e, EducatorRegistered)]
    routes_group = f"{prefix}.routes"
    with Platform(infra, prefix, tmp_path, keys, region) as platform:
        broker = KafkaBroker(infra.kafka)
        await broker.start()
        deficits_tail = TopicTail(infra.kafka, [str(Topic.DEFICITS)], region)
        await deficits_tail.start()
        publisher = EventPublisher(broker, keys=keys)
        try:
            await publisher.publish_all(generated.diagnostics, inbound=True)
            sessions = {e.payload.session_id for e in generated.diagnostics}
            deficits = await deficits_tail.until(
                lambda evs: {e.payload.session_id for e in evs} >= sessions, 90, "the diagnoses"
            )
            await caught_up(infra.kafka, routes_group, 90)

            deficits = [e for e in deficits if isinstance(e, DeficitDiagnosed)]
            expected_routes = await _in_order(generated.registry, deficits, [])
            progress = generator.progress(generated, [e for e in expected_routes if isinstance(e, RouteAssigned)])
            await publisher.publish_all(progress, inbound=True)
            await caught_up(infra.kafka, routes_group, 90)
            await publisher.publish_all(catalogue, inbound=True)
            await caught_up(infra.kafka, routes_group, 90)
            await publisher.publish_all(educators, inbound=True)
        finally:
            await deficits_tail.stop()
            await broker.stop()

        in_order = await _in_order(generated.registry, deficits, progress)
        routes_tail = TopicTail(infra.kafka, [str(Topic.ROUTES)], region)
        await routes_tail.start()
        try:  # the held events are released by the registrations: wait for what they cause
            await routes_tail.until(
                lambda evs: {e.event_id for e in evs} >= {e.event_id for e in in_order},
                90,
                "the routes of the held diagnoses",
            )
        except TimeoutError:
            pass  # compared below, with the difference shown
        finally:
            await routes_tail.stop()
        await caught_up(infra.kafka, routes_group, 60)
        expected, actual, events = await settled(infra.kafka, platform, region, AS_OF)
        assert not differences(expected, actual), differences(expected, actual)

        on_topic = {e.event_id: e for e in events if e.source == "rsnms-routes"}
        got, want = set(map(_comparable, on_topic.values())), set(map(_comparable, in_order))
        assert got == want, f"only on the topic: {sorted(got - want)[:3]}; only in order: {sorted(want - got)[:3]}"
        assert len(got) == len(in_order)
        types = {e.event_type for e in in_order}
        assert {"RouteAssigned", "RouteCompleted", "SupportProposed", "ProgramCompletionAccepted"} <= types, types

        facts = [e for e in events if e.source != "rsnms-routes"]
        assert recompute([*facts, *in_order], region, AS_OF) == actual
        progress_ids = {str(e.event_id) for e in progress}
        letters = [
            DeadLetter.model_validate_json(r.value) for r in await read_topic(infra.kafka, str(Topic.DEAD_LETTER))
        ]
        assert not [d for d in letters if d.event_id in progress_ids], "progress before its route was refused"
        print(
            f"out of order: {len(generated.diagnostics)} results, {len(progress)} progress reports, "
            f"{len(catalogue)} catalogue facts, {len(educators)} educator facts; {len(in_order)} routes events"
        )
