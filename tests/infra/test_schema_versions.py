"""Schema evolution on the real broker: a publishing system still on EducatorRegistered v1 and
one on v2 publish side by side; the registry applies both, and what it re-publishes as facts is
v2 for both (the v1 payload upcast with "none" and no subjects, the v2 fields kept)."""

from __future__ import annotations

import json

import pytest

from contracts import EducatorRegistered, Topic
from rsnms_runtime.kafka import EventPublisher
from services.registry.entrypoints.app import build
from tests.support.factories import educator_registered, region_code
from tests.support.kafka import events_of, eventually, read_topic, serving

pytestmark = pytest.mark.infra


async def test_v1_and_v2_producers_coexist_and_facts_are_published_as_v2(infra, prefix):
    region = region_code()
    old = educator_registered(region, 1)
    new = educator_registered(region, 2, qualification_category="highest", subject_areas=("math",))
    v1 = json.loads(old.to_bytes())
    v1["schema_version"] = 1
    del v1["payload"]["qualification_category"], v1["payload"]["subject_areas"]
    async with serving(build(infra.settings("registry", prefix), gate=None), infra.kafka) as source:
        await source.publish(json.dumps(v1).encode(), topic=str(Topic.REGISTRY_SUBMITTED), key=old.key.encode())
        await EventPublisher(source).publish_all([new], inbound=True)

        async def facts():
            found = {}
            for rec in await read_topic(infra.kafka, str(Topic.REGISTRY_FACTS)):
                if not (decoded := events_of([rec])):
                    continue
                event = decoded[0]
                if event.region == region and isinstance(event, EducatorRegistered):
                    found[event.payload.educator_id] = (json.loads(rec.value)["schema_version"], event.payload)
            return found if len(found) == 2 else None

        published = await eventually(facts, timeout=60)
    assert EducatorRegistered.model_fields["schema_version"].default == 2
    version, payload = published[old.payload.educator_id]
    assert version == 2 and payload.qualification_category == "none" and payload.subject_areas == ()
    assert payload.birth_year == old.payload.birth_year
    version, payload = published[new.payload.educator_id]
    assert version == 2 and payload.qualification_category == "highest" and payload.subject_areas == ("math",)
