"""Text hygiene of the contracts (issue 12 item 5): a control character other than tab, line feed
and carriage return in any text field is refused with a clear `invalid` reason naming the field,
whether the event is decoded from bytes or built in Python; Unicode is kept as sent. What a use
case builds from a batch of checked events is not walked again."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from contracts import ContractError, DeadLetter, ProgramRegistered, Topic, decode_event
from contracts.competency import competency_titles
from contracts.envelope import built_from_checked_text
from rsnms_runtime.consumer import BatchConsumer, Incoming, Outcome
from tests.support.routes import ev, program

EVENT = ev(ProgramRegistered, program("p1", ["digital_platforms"]))


def _with(field: str, value: str) -> bytes:
    doc = json.loads(EVENT.to_bytes())
    doc["payload"][field] = value
    return json.dumps(doc, ensure_ascii=False).encode()


def _text_field() -> str:
    return "title"


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\x0b", "\x0c"])
def test_a_control_character_in_a_text_field_is_refused_naming_the_field(char):
    field = _text_field()
    with pytest.raises(ContractError) as refused:
        decode_event(_with(field, f"Школа{char}№ 5"))
    assert refused.value.kind == "invalid"
    assert f"payload.{field}" in refused.value.detail
    assert f"U+{ord(char):04X}" in refused.value.detail


def test_raw_and_escaped_forms_are_both_refused_and_ordinary_whitespace_and_unicode_kept():
    field = _text_field()
    raw = _with(field, "a\x7fb")
    assert b"\x7f" in raw  # DEL is legal unescaped in JSON
    with pytest.raises(ContractError):
        decode_event(raw)
    escaped = _with(field, "a\u0000b").replace(b"\\u0000", b"\\u0000")
    with pytest.raises(ContractError):
        decode_event(escaped)
    kept = "Гимназия «Эрудит»\tкорпус 2\nрусский ё 🎓 \\u0000 \u2028 конец"
    event = decode_event(_with(field, kept))
    assert event.payload.model_dump()[field] == kept


def test_an_event_built_in_python_is_refused_too():
    event = EVENT
    field = _text_field()
    with pytest.raises(ValidationError, match=f"{field}: control character U\\+0000"):
        type(event.payload).model_validate({**event.payload.model_dump(), field: "x\x00y"})


def test_dead_letters_about_bad_input_stay_readable():
    letter = DeadLetter.model_validate(
        {
            "error_kind": "invalid",
            "error": "old letter \x00",
            "consumer": "registry",
            "topic": "t",
            "partition": 0,
            "offset": 1,
            "original_b64": "",
            "failed_at": "2026-01-01T00:00:00Z",
        }
    )
    assert letter.error.endswith("\x00")


def test_the_quick_check_finds_what_the_named_search_finds():
    from enum import StrEnum

    from contracts.text import find_control, has_control

    class Kind(StrEnum):
        A = "a"

    clean = ["", "Школа № 1\t\n\r", Kind.A, 5, 2.5, None, {"к": 1, "b": ["x", ("y", {"z": "ok"})]}, EVENT]
    dirty = ["a\x00", {"a\x1b": 1}, {"a": {"b": ["ok", "x\x85"]}}, ("ok", "\x7f"), [[["\x0b"]]]]
    for value in clean + dirty:
        assert has_control(value) == (find_control(value) is not None), value
    assert not any(has_control(v) for v in clean) and all(has_control(v) for v in dirty)


def test_the_byte_check_answers_as_the_expression_over_the_bytes():
    import random

    from contracts.text import MAYBE_CONTROL, may_hold_control

    pieces = [*(bytes([c]) for c in b"\\u01878fFb\x7f\xc2\x85\xab"), "я".encode()]
    samples = [
        EVENT.to_bytes(),
        _with("title", "«Школа»"),
        _with("title", "tab\tok"),
        _with("title", "nul\x00"),
        _with("title", "c1\x85"),
        _with("title", "del\x7f"),
        _with("title", "back\\slash"),
    ]
    rng = random.Random(5)
    samples += [b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    for data in samples:
        assert may_hold_control(data) == (MAYBE_CONTROL.search(data) is not None), data


def test_records_built_from_checked_text_are_not_walked_again():
    with built_from_checked_text():
        assert program("p1", ["digital_platforms"], title="x\x07y").title == "x\x07y"
    with pytest.raises(ValidationError, match="control character U\\+0007"):
        program("p1", ["digital_platforms"], title="x\x07y")


async def test_a_consumer_applies_its_batch_as_built_from_checked_text():
    built: list[str] = []

    async def handler(batch: list[Incoming]) -> Outcome:
        built.append(program("p1", ["digital_platforms"], title="x\x07y").title)  # would be refused outside
        return Outcome()

    consumer = BatchConsumer("hygiene", handler=handler, publisher=None, ledger=None)  # type: ignore[arg-type]
    await consumer.apply([Incoming(EVENT, str(Topic.REGISTRY_FACTS), 0, 0, b"")])
    assert built == ["x\x07y"]
    with pytest.raises(ValidationError):
        program("p1", ["digital_platforms"], title="x\x07y")


def test_competency_titles_with_a_control_character_are_refused_at_start(tmp_path):
    (tmp_path / "framework.yaml").write_text('areas: {a: {competencies: {c1: {title: "Цифровые\\x1bнавыки"}}}}\n')
    with pytest.raises(ValueError, match="c1.title: control character U\\+001B"):
        competency_titles(tmp_path)
