"""`decode_event` validates most events straight from their JSON and sends the rest through the
full path (`json.loads`, upcasting, validation of the dict). Both must accept the same documents
as the same events: every field of every kind of generated event is replaced by values of the
wrong type, of the right type in another form, removed or doubled, and both paths must agree."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from contracts import ContractError, Event, decode_event
from contracts.codec import _decode_document
from demo.competencies import framework_competencies
from demo.generator import RegionGenerator, RegionSpec


def _events() -> list[Event]:
    spec = RegionSpec(region="RU-TST", municipalities=2, schools_per_municipality=(2, 3), educators_per_school=(3, 5))
    region = RegionGenerator(spec, framework_competencies()).generate()
    seen: dict[str, Event] = {}
    for event in [*region.registry, *region.diagnostics, *region.inbound]:
        seen.setdefault(event.event_type, event)
    return list(seen.values())


def _variants(value: Any) -> list[Any]:
    out: list[Any] = [None, True, "", [], {}, 10**30, "x" * 300]
    if isinstance(value, bool):
        out += ["true", 1, 0.0]
    elif isinstance(value, int):
        out += [str(value), float(value), value + 0.5, -value]
    elif isinstance(value, float):
        out += [str(value), int(value), "NaN"]
    elif isinstance(value, str):
        out += [f" {value} ", value.upper(), 5, 5.0, value + "\u0420", value.replace("-", "")]
    elif isinstance(value, list):
        out += [list(reversed(value)), [*value, *value], value[:1], [None]]
    elif isinstance(value, dict):
        out += [dict(reversed(list(value.items()))), {k: str(v) for k, v in value.items()}]
    return out


def _documents(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for name, value in doc.items():
        if name == "payload":
            continue
        for variant in _variants(value):
            yield {**doc, name: variant}
        yield {k: v for k, v in doc.items() if k != name}
    for version in (2.0, 1.0, "2", 0, 1, 99):
        yield {**doc, "schema_version": version}
    for stamp in ("2024-01-01", 1_700_000_000, "2024-01-01T09:00:00", "2024-01-01 09:00:00+03:00"):
        yield {**doc, "occurred_at": stamp}
    eid = str(doc["event_id"])
    for form in (eid.upper(), eid.replace("-", ""), "{" + eid + "}", "urn:uuid:" + eid):
        yield {**doc, "event_id": form}
    yield {**doc, "extra": 1}
    payload = doc["payload"]
    for name, value in payload.items():
        for variant in _variants(value):
            yield {**doc, "payload": {**payload, name: variant}}
        yield {**doc, "payload": {k: v for k, v in payload.items() if k != name}}
    yield {**doc, "payload": {**payload, "extra": 1}}


def _raws(event: Event) -> Iterator[bytes]:
    doc = json.loads(event.to_bytes())
    for variant in _documents(doc):
        yield json.dumps(variant, ensure_ascii=False).encode()
    yield json.dumps(doc, indent=2).encode()  # whitespace, \\u escapes
    yield b"\xef\xbb\xbf" + event.to_bytes()
    yield event.to_bytes() + b" x"
    yield event.to_bytes().replace(b"{", b'{"event_type":"Nope",', 1)  # a key twice: the last wins
    yield event.to_bytes()[:-1] + b',"event_type":"Nope"}'
    yield event.to_bytes().replace(b'"payload":{', b'"payload":{"title":"\\ud800",', 1)


def _outcome(decode: Any, raw: bytes) -> Any:
    try:
        return decode(raw).model_dump(mode="json")
    except ContractError as exc:
        return ("refused", exc.kind, exc.detail)


@pytest.mark.parametrize("event", _events(), ids=lambda e: e.event_type)
def test_both_paths_accept_the_same_documents_as_the_same_events(event: Event):
    checked = 0
    for raw in _raws(event):
        assert _outcome(decode_event, raw) == _outcome(_decode_document, raw), raw
        checked += 1
    assert checked > 50


def test_the_generated_events_cover_the_inbound_kinds():
    assert len(_events()) >= 15
