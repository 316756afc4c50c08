"""`Event.content_hash()`: canonical (dict key order, transport time do not matter), versioned
("c2:"), and upgrade-safe: digests stored before "c2" (ledger, registry) still match through
`has_content`. A structural test keeps every dict field of the contracts a `SortedDict`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Set
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel

from contracts import (
    EVENT_CLASSES,
    DeficitDiagnosed,
    Diagnosis,
    IndicatorsPublished,
    IndicatorTable,
    IndicatorValue,
    decode_event,
)
from contracts.envelope import CONTENT_HASH_PREFIX, SORT_KEYS, Event, Record, SortedDict
from contracts.events.indicators import PassportSection
from rsnms_runtime.kafka import BatchConsumer, Incoming
from services.registry.domain.rules import Stored, decide
from tests.support.factories import educator_registered

R = "RU-TST"
ED = "ed-" + "a" * 32


def old_content_hash(event: Event) -> str:
    """The algorithm of `content_hash` before "c2", spelled out."""
    body = event.model_dump(mode="json", exclude={"occurred_at"})
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def diagnosed(
    scores: dict[str, float], growth: dict[str, float], *, dxid: str = "dx-1", occurred_at: datetime | None = None
) -> DeficitDiagnosed:
    return DeficitDiagnosed.create(
        Diagnosis(
            diagnosis_id=dxid,
            session_id="s-1",
            educator_id=ED,
            role="teacher",
            kind="repeat",
            diagnosed_on=date(2024, 9, 1),
            framework_id="fw",
            scores=scores,
            conducted_by="cnppm",
            deficits=(),
            previous_diagnosis_id="dx-0",
            growth=growth,
        ),
        source="test",
        region=R,
        occurred_at=occurred_at,
    )


def published(extra: dict[str, float]) -> IndicatorsPublished:
    value = IndicatorValue(
        indicator="E1", scope_kind="region", scope_id=R, numerator=10, denominator=2, value=5.0, extra=extra
    )
    table = IndicatorTable(
        region=R, as_of=date(2024, 12, 31), computed_at=datetime(2025, 1, 1, tzinfo=UTC), values=(value,)
    )
    return IndicatorsPublished.create(table, source="test", region=R)


def reversed_keys(doc: Any) -> Any:
    """The same JSON document with every object's keys in reverse order."""
    if isinstance(doc, dict):
        return {k: reversed_keys(doc[k]) for k in reversed(list(doc))}
    if isinstance(doc, list):
        return [reversed_keys(v) for v in doc]
    return doc


# -- canonical ----------------------------------------------------------------------------


def test_dict_fields_in_any_key_order_give_the_same_hash():
    a = diagnosed({"c1": 40.0, "c2": 70.0, "c3": 55.5}, {"c1": 5.0, "c3": -2.0})
    b = diagnosed({"c3": 55.5, "c1": 40.0, "c2": 70.0}, {"c3": -2.0, "c1": 5.0})
    assert a.content_hash() == b.content_hash()
    assert list(b.payload.scores) == ["c1", "c2", "c3"] and list(b.payload.growth) == ["c1", "c3"]
    assert (
        published({"max_load": 3.0, "avg": 1.5}).content_hash()
        == published({"avg": 1.5, "max_load": 3.0}).content_hash()
    )


def test_nested_dicts_are_sorted_too():
    a = PassportSection(
        title="t", figures={"b": 1, "a": 2.5, "c": None}, breakdown={"z": {"y": 1, "x": 2}, "a": {"q": 1}}
    )
    b = PassportSection(
        title="t", figures={"c": None, "a": 2.5, "b": 1}, breakdown={"a": {"q": 1}, "z": {"x": 2, "y": 1}}
    )
    assert a.model_dump_json() == b.model_dump_json()
    assert list(a.breakdown) == ["a", "z"] and list(a.breakdown["z"]) == ["x", "y"]


def test_hash_survives_the_wire_whatever_the_key_order_of_the_json():
    event = diagnosed({"c2": 70.0, "c1": 40.0}, {"c1": 5.0})
    shuffled = json.dumps(reversed_keys(json.loads(event.to_bytes())))
    assert decode_event(event.to_bytes()).content_hash() == event.content_hash()
    assert decode_event(shuffled).content_hash() == event.content_hash()


def test_transport_time_does_not_count_but_content_does():
    a = diagnosed({"c1": 40.0}, {}, occurred_at=datetime(2024, 9, 1, tzinfo=UTC))
    later = diagnosed({"c1": 40.0}, {}, occurred_at=datetime(2030, 1, 1, tzinfo=UTC))
    assert later.content_hash() == a.content_hash()
    assert diagnosed({"c1": 41.0}, {}).content_hash() != a.content_hash()
    assert diagnosed({"c1": 40.0}, {"c1": 1.0}).content_hash() != a.content_hash()
    assert diagnosed({"c1": 40.0, "c2": 0.0}, {}).content_hash() != a.content_hash()


def test_digest_formats():
    event = educator_registered(R, 7)
    digest = event.content_hash()
    assert digest.startswith(CONTENT_HASH_PREFIX) and len(digest) == len(CONTENT_HASH_PREFIX) + 64
    int(digest.removeprefix(CONTENT_HASH_PREFIX), 16)
    legacy = event.legacy_content_hash()
    assert legacy == old_content_hash(event) and len(legacy) == 64 and int(legacy, 16) >= 0


# -- upgrade path ---------------------------------------------------------------------------


def test_has_content_accepts_both_formats_of_the_same_content_only():
    a = diagnosed({"c1": 40.0, "c2": 70.0}, {"c1": 5.0})
    a_reordered = diagnosed({"c2": 70.0, "c1": 40.0}, {"c1": 5.0})
    other = diagnosed({"c1": 40.0, "c2": 71.0}, {"c1": 5.0})
    assert a.has_content(a.content_hash()) and a.has_content(old_content_hash(a))
    assert a_reordered.has_content(old_content_hash(a)) and a_reordered.has_content(a.content_hash())
    assert not a.has_content(old_content_hash(other))
    assert not a.has_content(other.content_hash())
    assert not a.has_content("") and not a.has_content(CONTENT_HASH_PREFIX)


def test_registry_replays_a_revision_stored_with_a_legacy_digest():
    first = educator_registered(R, 1)
    assert decide(first, Stored(1, first.legacy_content_hash())).decision == "replayed"
    assert decide(first, Stored(1, first.content_hash())).decision == "replayed"
    changed = educator_registered(R, 1, role="manager")
    assert decide(changed, Stored(1, first.legacy_content_hash())).decision == "refused"


class FakeLedger:
    """In-memory stand-in for ProcessedEvents (unit tests only)."""

    def __init__(self, index: dict[str, str]):
        self.index = dict(index)

    async def assign(self, partitions) -> int:
        return len(self.index)

    async def known(self, topic, partition, event_ids) -> dict[str, str]:
        return {i: self.index[i] for i in set(event_ids) if i in self.index}

    async def mark_all(self, entries) -> None:
        for part in entries.values():
            self.index.update(part)


def _consumer(ledger: FakeLedger) -> BatchConsumer:
    return BatchConsumer("test", handler=None, publisher=None, ledger=ledger)  # type: ignore[arg-type]


def _batch(*events: Event) -> list[Incoming]:
    topic = "rsnms.deficits"
    return [
        Incoming(
            e,
            topic,
            0,
            n,
            e.to_bytes(),
            SimpleNamespace(topic=topic, partition=0, offset=n, key=e.key.encode(), value=e.to_bytes(), headers=[]),
        )
        for n, e in enumerate(events)
    ]


async def test_an_event_whose_ledger_entry_is_legacy_is_a_duplicate_not_a_conflict():
    event = diagnosed({"c2": 70.0, "c1": 40.0}, {"c1": 5.0})
    consumer = _consumer(FakeLedger({str(event.event_id): old_content_hash(event)}))
    decoded = _batch(event)
    letters: list = []
    digests: dict[str, str] = {}
    fresh, duplicates = await consumer.deduplicate(decoded, letters, digests)
    assert (fresh, duplicates, letters, digests) == ([], 1, [], {})


async def test_a_legacy_ledger_entry_of_other_content_is_still_a_conflict():
    event = diagnosed({"c1": 40.0}, {})
    other = diagnosed({"c1": 41.0}, {})
    assert other.event_id == event.event_id
    consumer = _consumer(FakeLedger({str(event.event_id): old_content_hash(other)}))
    decoded = _batch(event)
    letters: list = []
    fresh, duplicates = await consumer.deduplicate(decoded, letters, {})
    assert (fresh, duplicates) == ([], 0)
    assert [letter.error_kind for letter in letters] == ["conflict"]


async def test_new_events_are_marked_with_c2_digests_and_repeats_in_a_batch_are_duplicates():
    event = diagnosed({"c1": 40.0}, {})
    consumer = _consumer(FakeLedger({}))
    decoded = _batch(event, decode_event(event.to_bytes()))
    letters: list = []
    digests: dict[str, str] = {}
    fresh, duplicates = await consumer.deduplicate(decoded, letters, digests)
    assert [i.offset for i in fresh] == [0] and duplicates == 1 and letters == []
    assert digests == {str(event.event_id): event.content_hash()}
    assert digests[str(event.event_id)].startswith(CONTENT_HASH_PREFIX)


# -- structure: every dict of every contract is a SortedDict, and no sets -----------------------


def contract_violations(
    tp: Any,
    where: str,
    metadata: tuple[Any, ...] = (),
    seen: set[type] | None = None,
    sorted_dicts: list[str] | None = None,
) -> list[str]:
    """Where a contract type would make `model_dump_json` non-canonical: a dict that is not a
    `SortedDict` (at any depth), a set, or an untyped (Any) value."""
    seen = set() if seen is None else seen
    origin = get_origin(tp)
    if origin is Annotated:
        base, *extra = get_args(tp)
        return contract_violations(base, where, (*metadata, *extra), seen, sorted_dicts)
    if tp is Any or tp is object:
        return [f"{where}: untyped ({tp!r}), it may hold a dict or a set"]
    if origin is Literal:
        return []
    container = origin or tp
    if isinstance(container, type) and issubclass(container, Mapping):
        found: list[str] = []
        if container is not dict or SORT_KEYS not in metadata:
            found.append(f"{where}: {tp!r} is not a SortedDict")
        elif sorted_dicts is not None:
            sorted_dicts.append(where)
        for n, arg in enumerate(get_args(tp)):
            found += contract_violations(arg, f"{where}[{'key' if n == 0 else 'value'}]", (), seen, sorted_dicts)
        return found
    if isinstance(container, type) and issubclass(container, Set):
        return [f"{where}: {tp!r} is a set, its JSON order is arbitrary"]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if tp in seen:
            return []
        seen.add(tp)
        found = []
        for name, field in tp.model_fields.items():
            found += contract_violations(
                field.annotation, f"{tp.__name__}.{name}", tuple(field.metadata), seen, sorted_dicts
            )
        return found
    found = []
    for arg in get_args(tp):
        found += contract_violations(arg, where, (), seen, sorted_dicts)
    return found


def test_every_dict_field_of_every_event_is_a_sorted_dict_and_there_are_no_sets():
    sorted_dicts: list[str] = []
    violations: list[str] = []
    seen: set[type] = set()
    for cls in EVENT_CLASSES.values():
        violations += contract_violations(cls, cls.__name__, seen=seen, sorted_dicts=sorted_dicts)
    assert not violations, "content_hash() would not be canonical:\n" + "\n".join(violations)
    assert {
        "DiagnosticResult.scores",
        "Diagnosis.scores",
        "Diagnosis.growth",
        "IndicatorValue.extra",
        "PassportSection.figures",
        "PassportSection.breakdown",
        "PassportSection.breakdown[value]",
    } <= set(sorted_dicts)


def test_the_structural_check_catches_plain_dicts_sets_and_unsorted_inner_dicts():
    class Inner(Record):
        plain: dict[str, int]

    class Bad(Record):
        fine: SortedDict[str, int]
        inner_unsorted: SortedDict[str, dict[str, int]]
        tags: frozenset[str]
        maybe: set[int] | None = None
        anything: Any = None
        nested: tuple[Inner, ...] = ()

    found = "\n".join(contract_violations(Bad, "Bad"))
    for where in ("Bad.inner_unsorted[value]", "Bad.tags", "Bad.maybe", "Bad.anything", "Inner.plain"):
        assert where + ":" in found, where
    assert "Bad.fine:" not in found
