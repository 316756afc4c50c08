"""The whole flow on the real parts: the four services as separate processes on the real
Kafka broker and FerretDB server, a generated region fed through Kafka by signed outside
systems, and every indicator of the region, each municipality and each organization checked
against an independent recomputation from the raw events on the topics. Then a passport
snapshot is taken, stored and published."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from datetime import date

import pytest
from pymongo import AsyncMongoClient

from contracts import PassportSnapshot, PassportSnapshotTaken, Topic
from demo.feed import TopicTail
from demo.generator import RegionSpec
from tests.e2e.checks import FOLDED_TOPICS, differences, feed, region_under_test, settled
from tests.e2e.platform import Platform
from tests.support.factories import region_code

pytestmark = [pytest.mark.infra, pytest.mark.e2e]
AS_OF = date(2025, 11, 30)


async def test_generated_region_indicators_match_an_independent_recomputation(infra, prefix, tmp_path):
    region = region_code()
    spec = RegionSpec(
        region=region,
        municipalities=3,
        schools_per_municipality=(3, 5),
        educators_per_school=(8, 16),
        programs=24,
        today=AS_OF,
        seed=11,
    )
    generator, keys = region_under_test(spec)
    with Platform(infra, prefix, tmp_path, keys, region) as platform:
        fed = await feed(infra, generator, keys, prefix, timeout=240)
        assert len(fed.progress) > 50, "the providers should have reported on the routes"

        expected, actual, events = await settled(infra.kafka, platform, region, AS_OF)

        published = {e.event_id for e in fed.published if e.event_type != "DiagnosticResultSubmitted"}
        on_topics = {e.event_id for e in events}
        missing = Counter(e.event_type for e in fed.published if e.event_id in published - on_topics)
        assert not missing, f"published but not on the platform's topics: {missing}"
        types = {e.event_type for e in events}
        assert {
            "DeficitDiagnosed",
            "RouteAssigned",
            "SupportProposed",
            "SupportFormReported",
            "MethodistAttachmentReported",
            "ExternalRouteReported",
            "ProgramCompleted",
            "ProgramCompletionAccepted",
            "RouteCompleted",
            "EducatorMoved",
            "EducatorDeparted",
        } <= types
        scopes = {k[1] for k in expected}
        assert scopes == {"region", "municipality", "organization"}
        assert len([k for k in expected if k[1] == "municipality" and k[0] == "I1"]) == spec.municipalities
        mismatched = differences(expected, actual)
        assert not mismatched, f"{len(mismatched)} indicator values differ (reference, production): {mismatched}"
        for indicator in ("I1", "I2", "I3", "I5", "I6", "E1", "E2", "RM"):
            num, den = expected[(indicator, "region", region)]
            assert den > 0 and num > 0, f"{indicator} should be exercised by the generated region"

        snapshot = PassportSnapshot.model_validate(
            platform.post("indicators", f"/passports/snapshot?region={region}&as_of={AS_OF}")
        )
        assert snapshot.version == 1 and snapshot.as_of == AS_OF
        doc = snapshot.document
        assert {(v.indicator, v.scope_kind, v.scope_id): (v.numerator, v.denominator) for v in doc.indicators} == {
            k: v for k, v in expected.items() if k[0] != "E1max"
        }
        assert doc.staff.figures["teachers"] + doc.staff.figures["managers"] == expected[("I1", "region", region)][1]
        assert {p.topic for p in doc.kafka_positions} == set(FOLDED_TOPICS) - {str(Topic.PROGRESS)}  # accepted only
        assert platform.get("indicators", f"/passports/latest?region={region}")["snapshot_id"] == snapshot.snapshot_id

        mongo = AsyncMongoClient(infra.mongodb)
        stored = await mongo[f"{prefix}_indicators"]["passport_snapshots"].find_one({"_id": snapshot.snapshot_id})
        await mongo.close()
        assert PassportSnapshot.model_validate(stored["snapshot"]) == snapshot

        passports = TopicTail(infra.kafka, [str(Topic.PASSPORTS)], region)
        await passports.start()
        try:
            announced = await passports.until(
                lambda evs: any(
                    isinstance(e, PassportSnapshotTaken) and e.payload.snapshot_id == snapshot.snapshot_id for e in evs
                ),
                30,
                "the snapshot on the passports topic",
            )
        finally:
            await passports.stop()
        taken = next(e for e in announced if e.payload.snapshot_id == snapshot.snapshot_id)
        assert taken.payload == snapshot
        assert json.loads(taken.to_bytes())["payload"]["document"]["indicators"]
        assert all(
            urllib.request.urlopen(platform.url(name, "/health/ready")).status == 200 for name in platform.services
        )
