"""A consumer that acts on a few kinds passes over the others on platform topics without decoding
them, by their `event_type` header; inbound topics, records without the header and kinds that do
not exist are decoded (and refused) as always."""

from __future__ import annotations

from types import SimpleNamespace

from contracts import Topic
from rsnms_runtime import metrics
from rsnms_runtime.consumer import BatchConsumer, header


def _record(topic: Topic, offset: int, event_type: str | None, value: bytes = b"not json") -> SimpleNamespace:
    headers = [("content-type", b"application/json")]
    if event_type is not None:
        headers.append(("event_type", event_type.encode()))
    return SimpleNamespace(topic=str(topic), partition=0, offset=offset, key=b"k", value=value, headers=headers)


def _consumer(handles=None) -> BatchConsumer:
    return BatchConsumer("ignores", handler=None, publisher=None, ledger=None, handles=handles)  # type: ignore[arg-type]


def _ignored() -> float:
    return metrics.IGNORED.labels("ignores")._value.get()


def test_kinds_not_handled_on_platform_topics_are_passed_over_undecoded():
    consumer = _consumer(handles={"EducatorRegistered"})
    records = [
        _record(Topic.REGISTRY_FACTS, 0, "OrganizationRegistered"),  # passed over
        _record(Topic.REGISTRY_FACTS, 1, "EducatorRegistered"),  # handled: decoded, refused
        _record(Topic.REGISTRY_FACTS, 2, None),  # no header: decoded, refused
        _record(Topic.REGISTRY_FACTS, 3, "NoSuchEvent"),  # no such kind: decoded, refused
        _record(Topic.PROGRESS, 4, "ProgramEnrolled"),  # inbound: decoded, refused
    ]
    before = _ignored()
    letters: list = []
    assert consumer.decode(records, letters) == []
    assert [letter.offset for letter in letters] == [1, 2, 3, 4]
    assert {letter.error_kind for letter in letters} == {"malformed_json"}
    assert _ignored() - before == 1


def test_a_consumer_of_every_kind_decodes_everything():
    letters: list = []
    _consumer().decode([_record(Topic.REGISTRY_FACTS, 0, "OrganizationRegistered")], letters)
    assert len(letters) == 1


def test_header_reads_the_first_of_a_name():
    rec = SimpleNamespace(headers=[("a", b"1"), ("event_type", b"X"), ("event_type", b"Y")])
    assert header(rec, "event_type") == b"X"
    assert header(SimpleNamespace(headers=None), "event_type") is None
