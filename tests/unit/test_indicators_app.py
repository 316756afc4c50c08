"""Composition of the indicators service and its HTTP endpoints, called through ASGI with
in-memory repositories (no Kafka, no database): query parameters, 400s, the table, the
catalogue of Russian titles, snapshots taken on demand and published."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contracts import TOPIC_EVENTS, IndicatorTable, PassportSnapshot, PassportSnapshotTaken, Topic
from rsnms_runtime.settings import Settings
from services.indicators.config import IndicatorsConfig
from services.indicators.domain.resources import InformationResources
from services.indicators.entrypoints import app
from tests.support.indicators import (
    TARGETS,
    D,
    FakeSnapshotStore,
    FakeStateStore,
    FakeTableStore,
    R,
    dx,
    incoming,
    reg,
)
from tests.support.publisher import RecordingPublisher


class FakeStores:
    def __init__(self) -> None:
        self.state, self.tables, self.snapshots = FakeStateStore(), FakeTableStore(), FakeSnapshotStore()

    async def ensure_indexes(self) -> None:
        pass


@pytest.fixture
def runtime(monkeypatch):
    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        app.ServiceRuntime,
        "consume",
        lambda self, topics, handler, group_suffix="", handles=None: seen.setdefault("consumers", []).append(
            (topics, handles)
        ),
    )
    config = IndicatorsConfig(targets=TARGETS, resources=InformationResources(), snapshot_interval_s=0)
    publisher = RecordingPublisher()
    rt = app.build(Settings(service="indicators"), config, stores=FakeStores(), publisher=publisher, gate=None)
    rt.seen, rt.sent = seen, publisher
    return rt


async def call(rt, path: str, query: str = "", method: str = "GET") -> tuple[int, Any]:
    handler = dict(rt.routes)[path]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await handler(
        {"type": "http", "method": method, "path": path, "query_string": query.encode(), "headers": []}, receive, send
    )
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body) if body.startswith((b"{", b"[")) else body


def test_the_service_consumes_its_three_topics_and_serves_its_endpoints(runtime):
    (topics, handles), (governance, _) = runtime.seen["consumers"]
    # not the progress topic: progress counts once the routes service accepted it
    assert set(topics) == {str(Topic.REGISTRY_FACTS), str(Topic.DEFICITS), str(Topic.ROUTES)}
    assert governance == [str(Topic.GOVERNANCE)]
    # passed over undecoded: only what the fold does nothing with (proposals are not facts)
    assert handles == app.HANDLED
    assert {k for t in topics for k in TOPIC_EVENTS[Topic(t)]} - handles == {"SupportAssigned", "SupportProposed"}
    assert [p for p, _ in runtime.routes] == [
        "/indicators",
        "/indicators/catalogue",
        "/passports/snapshot",
        "/passports/latest",
        "/rounds",
        "/rounds/version",
        "/rounds/analysis",
        "/rounds/report",
        "/rounds/passport",
        "/rounds/summary",
    ]
    assert runtime.settings.service == "indicators"


async def test_the_table_of_a_region_as_of_a_date(runtime):
    await runtime.indicators.handle(incoming(reg(1), reg(2), dx(1)))
    status, body = await call(runtime, "/indicators", f"region={R}&as_of={D.isoformat()}")
    assert status == 200
    table = IndicatorTable.model_validate(body)
    i1 = next(v for v in table.values if (v.indicator, v.scope_kind) == ("I1", "region"))
    assert table.as_of == D and (i1.numerator, i1.denominator, i1.value) == (1, 2, 0.5)


@pytest.mark.parametrize(
    ("query", "reason"),
    [("", "region is required"), ("region=../x", "not a region code"), (f"region={R}&as_of=31.12.2024", "not a date")],
)
async def test_bad_queries_are_400_with_the_reason(runtime, query, reason):
    status, body = await call(runtime, "/indicators", query)
    assert status == 400 and reason in body["error"]


async def test_the_catalogue_has_russian_titles_and_the_region_targets(runtime):
    status, body = await call(runtime, "/indicators/catalogue", f"region={R}")
    assert status == 200
    by_id = {i["indicator"]: i for i in body["indicators"]}
    assert list(by_id) == ["I1", "I2", "I3", "I4", "I4R", "I5", "I6", "E1", "E2", "RM"]
    assert by_id["I1"]["title"].startswith("Доля педагогических работников") and by_id["I1"]["target"] == 0.2
    assert by_id["E1"]["target_is_maximum"] is True and by_id["RM"]["target"] is None
    assert by_id["RM"]["target_label"] == "цель не установлена" and by_id["I1"]["target_label"] is None


async def test_snapshot_on_demand_is_stored_published_and_then_the_latest(runtime):
    status, body = await call(runtime, "/passports/latest", f"region={R}")
    assert status == 404
    await runtime.indicators.handle(incoming(reg(1), dx(1)))
    status, body = await call(runtime, "/passports/snapshot", f"region={R}&as_of={D.isoformat()}", method="POST")
    assert status == 200
    snap = PassportSnapshot.model_validate(body)
    assert (snap.version, snap.as_of, snap.document.staff.figures["teachers"]) == (1, D, 1)
    assert [type(e) for e in runtime.sent.events] == [PassportSnapshotTaken] and runtime.sent.events[0].payload == snap
    status, body = await call(runtime, "/passports/snapshot", f"region={R}", method="POST")
    assert status == 200 and body["version"] == 2
    status, body = await call(runtime, "/passports/latest", f"region={R}")
    assert status == 200 and body["snapshot_id"] == f"{R}:2"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_a_snapshot_needs_post_reading_never_takes_one(runtime, method):
    await runtime.indicators.handle(incoming(reg(1), dx(1)))
    status, _ = await call(runtime, "/passports/snapshot", f"region={R}", method=method)
    assert status == 405
    assert runtime.sent.events == []
    status, _ = await call(runtime, "/passports/latest", f"region={R}")
    assert status == 404


@pytest.mark.parametrize(("path", "method"), [("/indicators", "GET"), ("/passports/snapshot", "POST")])
async def test_an_unknown_region_is_404_in_russian_and_english(runtime, path, method):
    await runtime.indicators.handle(incoming(reg(1)))
    status, body = await call(runtime, path, "region=RU-XX", method=method)
    assert status == 404
    assert "неизвестный регион RU-XX" in body["error"] and "unknown region RU-XX" in body["error"]
    assert runtime.sent.events == []


async def test_json_is_utf8_with_cyrillic_unescaped(runtime):
    handler = dict(runtime.routes)["/indicators/catalogue"]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await handler({"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": []}, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert (b"content-type", b"application/json; charset=utf-8") in start["headers"]
    assert b"\\u04" not in body and "Доля педагогических работников".encode() in body
