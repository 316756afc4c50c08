"""Who may publish what: signatures, forged sources, event kinds and regions."""

from __future__ import annotations

import pytest

from contracts import Topic
from rsnms_runtime.sources import Grant, SourceGate, load_policy, parse_keys, signed_headers
from tests.support.factories import educator_registered

KEY = b"s" * 32
TOPIC = str(Topic.REGISTRY_SUBMITTED)


def _gate() -> SourceGate:
    return SourceGate(
        {"cnppm-test": KEY, "other": b"o" * 32},
        {
            "cnppm-test": Grant(frozenset({"EducatorRegistered"}), frozenset({"RU-TST"})),
            "other": Grant(frozenset({"EducatorRegistered"}), frozenset({"*"})),
        },
    )


def _check(event, source="cnppm-test", key=KEY, topic=TOPIC, tamper=b""):
    value = event.to_bytes()
    headers = [(k, v.encode()) for k, v in signed_headers(source, key, topic, event.key.encode(), value).items()]
    return _gate().check(event, topic, event.key.encode(), value + tamper, headers)


def test_signed_event_of_its_own_kind_and_region_passes():
    assert _check(educator_registered("RU-TST", 1)) is None


@pytest.mark.parametrize(
    ("kwargs", "region", "reason"),
    [
        ({"key": b"x" * 32}, "RU-TST", "bad signature"),
        ({"tamper": b" "}, "RU-TST", "bad signature"),
        ({"source": "nobody"}, "RU-TST", "unknown publishing system"),
        ({"source": "other", "key": b"o" * 32}, "RU-TST", "forged source"),
        ({}, "RU-OTH", "may not publish for region RU-OTH"),
    ],
)
def test_forged_altered_or_cross_region_publishes_are_refused(kwargs, region, reason):
    assert reason in (_check(educator_registered(region, 1), **kwargs) or "")


def test_unsigned_and_unauthorised_kinds_are_refused():
    event = educator_registered("RU-TST", 1)
    assert "unsigned" in _gate().check(event, TOPIC, event.key.encode(), event.to_bytes(), [])
    gate = SourceGate({"cnppm-test": KEY}, {"cnppm-test": Grant(frozenset({"ProgramRegistered"}), frozenset({"*"}))})
    value = event.to_bytes()
    headers = [(k, v.encode()) for k, v in signed_headers("cnppm-test", KEY, TOPIC, event.key.encode(), value).items()]
    assert "may not publish EducatorRegistered" in gate.check(event, TOPIC, event.key.encode(), value, headers)


def test_keys_come_from_configuration_and_policy_is_validated():
    assert parse_keys("a-src=0123456789abcdef, b=fedcba9876543210") == {
        "a-src": b"0123456789abcdef",
        "b": b"fedcba9876543210",
    }
    with pytest.raises(ValueError, match="at least 16"):
        parse_keys("a=short")
    with pytest.raises(ValueError, match="unknown event types"):
        load_policy({"sources": {"x": {"events": ["TeacherPromoted"], "regions": ["*"]}}})
    assert SourceGate.from_env({}) is None
