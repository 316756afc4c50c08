"""One small generated region through the four services on the real Kafka and FerretDB,
then, on that run:

- duplicate delivery: every message of the region on every inbound topic is published again
  (same bytes, key, partition and headers);
- whole-topic replay: the services stop, every consumer group of the platform is rewound
  to the earliest offsets, the services start again and read everything once more;

after each, every indicator, every stored route and a new passport document equal the ones
before, and no event with a new id appeared on the platform's topics. Then the personal
data scan: no SNILS the sources used, in any usual format, nor a personal-data field name,
an e-mail or a phone number is in any message of any topic or any document the platform
stored; educator ids are the keyed hash of the SNILS under the configured key.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from contracts import INBOUND_TOPICS, EducatorRegistered, PassportSnapshotTaken, Topic, decode_event
from contracts.pseudonym import educator_pseudonym
from demo.feed import FeedResult, caught_up
from demo.generator import RegionSpec
from rsnms_runtime.decode import decoded
from services.routes.adapters.store import RoutesStore
from tests.e2e.checks import differences, feed, region_under_test, settled
from tests.e2e.platform import SERVICES, Platform
from tests.support.factories import region_code
from tests.support.kafka import consumer_groups, events_of, read_topic, republish, rewind_groups

pytestmark = [pytest.mark.infra, pytest.mark.e2e]
AS_OF = date(2025, 11, 30)
#: topics the platform publishes events on (the dead-letter topic carries records, not events)
PLATFORM_TOPICS = [
    str(t) for t in (Topic.REGISTRY_FACTS, Topic.DEFICITS, Topic.ROUTES, Topic.AGGREGATES, Topic.PASSPORTS)
]
INBOUND = [str(t) for t in INBOUND_TOPICS]


@dataclass
class State:
    """What the platform says about the region: indicators, routes, passport, event ids."""

    indicators: list[dict]
    routes: list[dict]
    passport: dict
    snapshot_id: str
    ids: dict[str, dict[str, Any]]


@dataclass
class Run:
    infra: Any
    prefix: str
    region: str
    platform: Platform
    fed: FeedResult
    key: bytes
    events: list[Any]
    before: State


def _region_of(value: bytes) -> str | None:
    try:
        return decode_event(value).region
    except Exception:  # noqa: BLE001 - not an event
        return None


async def _ids(kafka: str, region: str) -> dict[str, dict[str, Any]]:
    """The region's events per platform topic by id; passport announcements are left out (the
    test takes the snapshots itself)."""
    out: dict[str, dict[str, Any]] = {}
    for topic in PLATFORM_TOPICS:
        events = events_of(await read_topic(kafka, topic))
        out[topic] = {
            str(e.event_id): e for e in events if e.region == region and not isinstance(e, PassportSnapshotTaken)
        }
    return out


async def _state(run_infra: Any, platform: Platform, prefix: str, region: str) -> State:
    table = platform.get("indicators", f"/indicators?region={region}&as_of={AS_OF}")
    mongo = AsyncMongoClient(run_infra.mongodb)
    try:
        routes = await RoutesStore(mongo[f"{prefix}_routes"]).routes(region)
    finally:
        await mongo.close()
    ids = await _ids(run_infra.kafka, region)
    snapshot = platform.post("indicators", f"/passports/snapshot?region={region}&as_of={AS_OF}")
    return State(
        sorted(table["values"], key=lambda v: json.dumps(v, sort_keys=True)),
        routes,
        snapshot["document"],
        snapshot["snapshot_id"],
        ids,
    )


async def _all_caught_up(kafka: str, prefix: str, timeout: float = 120) -> list[str]:
    groups = await consumer_groups(kafka, prefix)
    assert {f"{prefix}.{s}" for s in SERVICES} <= set(groups), groups
    for group in groups:
        await caught_up(kafka, group, timeout)
    return groups


async def _processed(platform: Platform, counter: str) -> dict[str, float]:
    """A Prometheus counter summed per service."""
    out: dict[str, float] = {}
    for name in platform.services:
        text = platform.get_text(name, "/metrics")
        out[name] = sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith((counter + "{", counter + " "))
        )
    return out


@pytest.fixture(scope="module")
async def run(infra, tmp_path_factory) -> AsyncIterator[Run]:
    prefix, region = "t" + secrets.token_hex(5), region_code()
    key = secrets.token_bytes(32)
    spec = RegionSpec(
        region=region,
        municipalities=2,
        schools_per_municipality=(2, 3),
        educators_per_school=(8, 12),
        programs=16,
        today=AS_OF,
        seed=31,
        diagnosed_share=0.6,
    )
    generator, keys = region_under_test(spec, pseudonym_key=key)
    started = time.monotonic()
    with Platform(infra, prefix, tmp_path_factory.mktemp("replay"), keys, region) as platform:
        fed = await feed(infra, generator, keys, prefix, timeout=180)
        expected, actual, events = await settled(infra.kafka, platform, region, AS_OF)
        assert not differences(expected, actual), differences(expected, actual)
        await _all_caught_up(infra.kafka, prefix)
        before = await _state(infra, platform, prefix, region)
        print(
            f"region run: {len(fed.published)} inbound events, {len(events)} folded events, "
            f"{len(before.routes)} routes, {time.monotonic() - started:.1f} s"
        )
        yield Run(infra, prefix, region, platform, fed, key, events, before)


def _assert_unchanged(run: Run, after: State, what: str, restarted: bool = False) -> None:
    assert after.indicators == run.before.indicators, f"{what}: indicators changed"
    assert after.routes == run.before.routes, f"{what}: stored routes changed"
    assert after.snapshot_id != run.before.snapshot_id  # a new snapshot, re-read from the store

    # the passport says which positions it includes: only those of the inbound topics may move
    def strip(doc: dict) -> dict:
        return {**doc, "kafka_positions": [p for p in doc["kafka_positions"] if p["topic"] not in INBOUND]}

    assert strip(after.passport) == strip(run.before.passport), f"{what}: the passport document changed"
    for topic, events in after.ids.items():
        new = set(events) - set(run.before.ids[topic])
        if topic == str(Topic.AGGREGATES) and restarted:
            # a started indicators service announces each region's live table once (its id is
            # the time it was computed): allowed, if it repeats the numbers announced before
            latest = max(run.before.ids[topic].values(), key=lambda e: e.payload.computed_at)
            assert len(new) <= 1 and all(events[i].payload.values == latest.payload.values for i in new), (
                f"{what}: a live table with other numbers was announced"
            )
            continue
        assert not new, f"{what}: {len(new)} events with new ids on {topic}"


async def test_every_event_delivered_twice_changes_nothing(run):
    before = await _processed(run.platform, "rsnms_events_duplicate_total")
    records = [
        r for topic in INBOUND for r in await read_topic(run.infra.kafka, topic) if _region_of(r.value) == run.region
    ]
    assert len(records) == len(run.fed.published)
    await republish(run.infra.kafka, records)
    await _all_caught_up(run.infra.kafka, run.prefix)
    after = await _state(run.infra, run.platform, run.prefix, run.region)
    duplicates = await _processed(run.platform, "rsnms_events_duplicate_total")
    # the duplicates were read and recognised: each inbound event at least once more
    assert sum(duplicates.values()) - sum(before.values()) >= len(records)
    _assert_unchanged(run, after, "duplicate delivery")
    print(f"duplicate delivery: {len(records)} inbound messages published again")


async def test_replaying_every_topic_from_the_start_changes_nothing(run):
    for name in SERVICES:
        run.platform.stop(name)
    groups = await consumer_groups(run.infra.kafka, run.prefix)
    again = await rewind_groups(run.infra.kafka, groups)
    assert all(again[f"{run.prefix}.{s}"] > 0 for s in SERVICES), again
    for name in SERVICES:
        run.platform.start(name)
    run.platform.wait_ready()
    await _all_caught_up(run.infra.kafka, run.prefix, timeout=300)
    duplicates = await _processed(run.platform, "rsnms_events_duplicate_total")
    assert all(duplicates[s] > 0 for s in SERVICES), duplicates  # counters restart with the processes
    after = await _state(run.infra, run.platform, run.prefix, run.region)
    _assert_unchanged(run, after, "whole-topic replay", restarted=True)
    print(f"replay: messages read again per group {again}")


# -- personal data -------------------------------------------------------------------------
PERSONAL_FIELD = re.compile(
    r"(^|_)(name|first_?name|last_?name|surname|patronymic|middle_?name|full_?name|fio|"
    r"snils|e_?mail|phone|telephone|mobile|passport|birth_?date|address)($|_)",
    re.I,
)
#: the паспорт ДППО (the region's document, never a person's passport) and its lifecycle
DPPO_PASSPORT_FIELD = re.compile(r"^passport_(status|version|round|state|approved_on|sent_on|accepted_on|returned_on)$")
EMAIL = re.compile(rb"[\w.+-]{1,64}@[\w-]{1,63}\.[a-z]{2,}", re.I)  # bounded: no quadratic scans
PHONE = re.compile(rb"(\+7|\b8)[\s-]?\(?\d{3}\)?[\s-]?\d{3}[\s-]?\d{2}[\s-]?\d{2}\b")


def _snils_forms(snils: str) -> set[bytes]:
    """11 digits, "XXX-XXX-XXX YY", "XXX XXX XXX YY", "XXX-XXX-XXX-YY"."""
    a, b, c, d = snils[:3], snils[3:6], snils[6:9], snils[9:]
    return {x.encode() for x in (snils, f"{a}-{b}-{c} {d}", f"{a} {b} {c} {d}", f"{a}-{b}-{c}-{d}")}


def _field_names(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in [f"{path}.{k}", *_field_names(v, f"{path}.{k}")]]
    if isinstance(value, list):
        return [n for v in value for n in _field_names(v, f"{path}[]")]
    return []


@dataclass
class Found:
    snils: list[str]
    fields: list[str]
    contacts: list[str]
    scanned: int = 0


def _scan(where: str, blob: bytes, doc: Any, forms: dict[bytes, str], found: Found) -> None:
    found.scanned += 1
    for form, snils in forms.items():
        if form in blob:
            found.snils.append(f"{where}: {snils}")
    for name in _field_names(doc):
        # the паспорт ДППО is the region's passport snapshot, not a person's passport
        last = name.rsplit(".", 1)[-1]
        if PERSONAL_FIELD.search(last) and not (name.startswith(".passport") or DPPO_PASSPORT_FIELD.match(last)):
            found.fields.append(f"{where}: {name}")
    for pattern in (EMAIL, PHONE):
        found.contacts.extend(f"{where}: {m.group().decode(errors='replace')}" for m in pattern.finditer(blob))


@pytest.fixture(scope="module")
def snils_forms(run) -> dict[bytes, str]:
    snils = run.fed.region.snils
    assert len(snils) == sum(isinstance(e, EducatorRegistered) for e in run.fed.region.registry) > 20
    return {form: s for s in snils.values() for form in _snils_forms(s)}


INBOUND = {str(t) for t in INBOUND_TOPICS}


async def test_no_personal_data_in_any_message_of_any_topic(run, snils_forms):
    """Every platform topic and the dead-letter topic whole (a dead letter of another test's
    leaking publisher included: its original is kept without the personal values); on the
    inbound topics, what the run's own publishing systems wrote."""
    from aiokafka import AIOKafkaConsumer

    probe = AIOKafkaConsumer(bootstrap_servers=run.infra.kafka)
    await probe.start()
    topics = sorted(t for t in await probe.topics() if not t.startswith("__"))
    await probe.stop()
    assert {str(t) for t in Topic} <= set(topics)
    found, per_topic = Found([], [], []), Counter()
    for topic in topics:
        for rec in await read_topic(run.infra.kafka, topic):
            per_topic[topic] += 1
            headers = b" ".join(k.encode() + b"=" + (v or b"") for k, v in rec.headers or ())
            blob = b" ".join([rec.key or b"", rec.value or b"", headers])
            try:
                doc = json.loads(rec.value)
            except ValueError:
                doc = None
            if topic in INBOUND and not (isinstance(doc, dict) and doc.get("region") == run.region):
                continue  # what other tests' publishers wrote (test_logs sends a name on purpose)
            if isinstance(doc, dict) and "original_b64" in doc:  # a dead letter carries the original bytes
                blob += b" " + base64.b64decode(doc["original_b64"])
            _scan(f"{topic}@{rec.partition}:{rec.offset}", blob, doc, snils_forms, found)
    assert per_topic[str(Topic.REGISTRY_FACTS)] and per_topic[str(Topic.ROUTES)]
    assert not found.snils, f"SNILS on the bus: {found.snils[:5]}"
    assert not found.fields, f"personal-data fields on the bus: {sorted(set(found.fields))[:10]}"
    assert not found.contacts, f"contacts on the bus: {found.contacts[:5]}"
    print(f"privacy: {found.scanned} messages on {len(topics)} topics scanned for {len(snils_forms)} SNILS forms")


def _unnested(value: Any) -> Any:
    """A journal entry with the JSON documents it carries as strings (an educator file, an
    event) parsed, so their field names are scanned too."""
    if isinstance(value, dict):
        return {k: _unnested(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unnested(v) for v in value]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _unnested(json.loads(value))
        except ValueError:
            return value
    return value


async def test_no_personal_data_in_any_stored_document(run, snils_forms):
    from bson import json_util

    mongo = AsyncMongoClient(run.infra.mongodb)
    found, collections = Found([], [], []), 0
    try:
        databases = [d for d in await mongo.list_database_names() if d.startswith(f"{run.prefix}_")]
        assert {f"{run.prefix}_{s}" for s in SERVICES} <= set(databases), databases
        for name in databases:
            db = mongo[name]
            for coll in await db.list_collection_names():
                collections += 1
                async for doc in db[coll].find({}):
                    # packed journal documents: each entry scanned decoded (nested JSON too)
                    packed = decoded(doc).get("packed")
                    entries = packed.get("$packed") if isinstance(packed, dict) else None
                    text = json_util.dumps(doc, ensure_ascii=False)
                    _scan(f"{name}.{coll}/{doc.get('_id')}", text.encode(), json.loads(text), snils_forms, found)
                    for n, entry in enumerate(entries if isinstance(entries, list) else [entries] if entries else []):
                        entry = _unnested(entry)
                        blob = json.dumps(entry, ensure_ascii=False).encode()
                        _scan(f"{name}.{coll}/{doc.get('_id')}[{n}]", blob, entry, snils_forms, found)
    finally:
        await mongo.close()
    assert found.scanned > 100
    assert not found.snils, f"SNILS stored: {found.snils[:5]}"
    assert not found.fields, f"personal-data fields stored: {sorted(set(found.fields))[:10]}"
    assert not found.contacts, f"contacts stored: {found.contacts[:5]}"
    print(f"privacy: {found.scanned} documents in {collections} collections of {len(databases)} databases scanned")


def test_educator_ids_are_the_keyed_hash_under_the_configured_key(run):
    registered = {e.payload.educator_id for e in run.events if isinstance(e, EducatorRegistered)}
    snils = run.fed.region.snils
    assert registered == set(snils)
    assert all(educator_pseudonym(s, run.key) == eid for eid, s in snils.items())
    other = secrets.token_bytes(32)
    assert not {educator_pseudonym(s, other) for s in snils.values()} & registered
    # the id does not depend on how the SNILS is written, only on its digits and the key
    some = next(iter(snils.values()))
    assert educator_pseudonym(f"{some[:3]}-{some[3:6]}-{some[6:9]} {some[9:]}", run.key) in registered
    diagnosed = {e.payload.educator_id for e in run.events if e.event_type == "DeficitDiagnosed"}
    assert diagnosed and diagnosed <= registered
