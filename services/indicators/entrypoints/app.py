"""Composition root of the indicators service: the fold consumer, the periodic table and
snapshot tasks, and the HTTP endpoints for the live table and the passport."""

from __future__ import annotations

import asyncio
import os
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import yaml
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.asgi.response import JSONResponse

from contracts import Topic
from rsnms_runtime.service import ServiceRuntime
from rsnms_runtime.settings import Settings
from services.indicators.adapters.store import IndicatorStore
from services.indicators.domain.targets import Targets
from services.indicators.service import IndicatorsService

TARGETS = Path(__file__).resolve().parents[1] / "targets.yaml"


def _query(scope: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}


def _as_of(params: dict[str, str]) -> date | None:
    return date.fromisoformat(params["as_of"]) if params.get("as_of") else None


def build(settings: Settings | None = None, **runtime_options: object) -> ServiceRuntime:
    runtime = ServiceRuntime(settings or Settings(service="indicators"), **runtime_options)
    store = IndicatorStore(runtime.db)
    targets = Targets.from_doc(yaml.safe_load(Path(os.environ.get("RSNMS_TARGETS", TARGETS)).read_text()))
    resources = tuple(filter(None, os.environ.get("RSNMS_INFORMATION_RESOURCES", "").split(";")))
    service = IndicatorsService(store, targets, resources)
    runtime.indicators = service  # type: ignore[attr-defined] - for tests and the CLI
    table_every = float(os.environ.get("RSNMS_TABLE_INTERVAL_S", "1"))
    snapshot_every = float(os.environ.get("RSNMS_SNAPSHOT_INTERVAL_S", "300"))

    async def publish_tables() -> None:
        while True:
            await asyncio.sleep(table_every)
            await runtime.publisher.publish_all(await service.refresh_tables())

    async def take_snapshot(region: str, as_of: date | None = None) -> Any:
        snap, event = await service.snapshot(region, as_of)
        await runtime.publisher.publish(event)
        return snap

    async def snapshots() -> None:
        while snapshot_every > 0:
            await asyncio.sleep(snapshot_every)
            for region in service.regions():
                await take_snapshot(region)

    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        await store.ensure_indexes()
        await service.start()
        tasks.extend([asyncio.create_task(publish_tables()), asyncio.create_task(snapshots())])

    async def stop() -> None:
        for task in tasks:
            task.cancel()

    runtime.on_startup(start)
    runtime.on_shutdown(stop)
    runtime.consume([str(Topic.REGISTRY_FACTS), str(Topic.DEFICITS), str(Topic.ROUTES), str(Topic.PROGRESS)],
                    service.handle)
    runtime.emits(Topic.AGGREGATES, Topic.PASSPORTS, Topic.DEAD_LETTER)

    @get
    async def indicators(scope: Any) -> AsgiResponse:
        """Live indicator table of a region: ?region=RU-YEV[&as_of=YYYY-MM-DD]"""
        params = _query(scope)
        if "region" not in params:
            return JSONResponse({"error": "region is required", "regions": service.regions()}, 400)
        return AsgiResponse(service.table(params["region"], _as_of(params)).model_dump_json().encode(), 200,
                            {"Content-Type": "application/json"})

    @get
    async def snapshot(scope: Any) -> AsgiResponse:
        """Take a passport snapshot now: ?region=RU-YEV[&as_of=YYYY-MM-DD]"""
        params = _query(scope)
        if "region" not in params:
            return JSONResponse({"error": "region is required"}, 400)
        snap = await take_snapshot(params["region"], _as_of(params))
        return AsgiResponse(snap.model_dump_json().encode(), 200, {"Content-Type": "application/json"})

    @get
    async def latest(scope: Any) -> AsgiResponse:
        """The latest passport snapshot of a region: ?region=RU-YEV"""
        snap = await store.latest_snapshot(_query(scope).get("region", ""))
        if snap is None:
            return JSONResponse({"error": "no snapshot yet"}, 404)
        return AsgiResponse(snap.model_dump_json().encode(), 200, {"Content-Type": "application/json"})

    runtime.route("/indicators", indicators)
    runtime.route("/passports/snapshot", snapshot)
    runtime.route("/passports/latest", latest)
    return runtime


def asgi() -> AsgiFastStream:
    """Factory for `faststream run --factory` and `faststream docs gen --factory`."""
    return build().app()
