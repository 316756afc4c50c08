"""Composition root of the indicators service: the fold consumer, the live-table and
periodic-snapshot tasks, and the HTTP endpoints.

HTTP (besides /health/live, /health/ready, /metrics of the runtime):
- GET  /indicators?region=RU-XXX[&as_of=YYYY-MM-DD]   the indicator table (IndicatorTable JSON)
- GET  /indicators/catalogue[?region=RU-XXX]           indicator ids, Russian titles, targets
- GET  /passports/latest?region=RU-XXX                 the latest passport snapshot (404 if none)
- POST /passports/snapshot?region=RU-XXX[&as_of=]      take a snapshot now, return it (GET: 405)
- GET  /rounds?region=, /rounds/version|analysis|report|passport?region=&round=[&version=]
       monitoring rounds (entrypoints/rounds_http.py, docs/rounds.md)
A region the platform has no data about is 404 with the reason in Russian and English. JSON is
UTF-8 with Cyrillic as is (charset=utf-8, no \\u escapes).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs

from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.asgi.handlers import HttpHandler
from prometheus_client import Gauge

from contracts import PassportSnapshot, Topic
from contracts.envelope import REGION_PATTERN
from rsnms_runtime.kafka import Publisher
from rsnms_runtime.logging import get_logger
from rsnms_runtime.metrics import REGISTRY
from rsnms_runtime.service import ServiceRuntime
from rsnms_runtime.settings import Settings
from services.indicators.adapters.store import IndicatorStore
from services.indicators.config import IndicatorsConfig
from services.indicators.domain.fold import ENTITY_OF
from services.indicators.domain.labels import INDICATOR_TITLES, INDICATOR_UNITS, NO_TARGET
from services.indicators.entrypoints.rounds_http import route_rounds
from services.indicators.live import LiveTables
from services.indicators.repository import Stores
from services.indicators.rounds_service import RoundsService
from services.indicators.rounds_wiring import rounds_store, subscribe_governance, wire_rounds
from services.indicators.service import IndicatorsService, utc_now
from services.indicators.settings import IndicatorsSettings

log = get_logger(__name__)

#: not Topic.PROGRESS: progress counts once the routes service accepted it (on Topic.ROUTES), so a
#: report it refuses is dead-lettered once, by it
INPUTS = (Topic.REGISTRY_FACTS, Topic.DEFICITS, Topic.ROUTES)
#: what the fold acts on; the other kinds on its topics (the routes service's proposals of
#: supporters: not facts of the world) are passed over undecoded, so they are not late for a
#: monitoring round either
HANDLED = frozenset(c.model_fields["event_type"].default for c in ENTITY_OF)
RETRY_AFTER_S = 1.0

LIVE_TABLES_BEHIND = Gauge(
    "rsnms_live_tables_behind",
    "Regions whose published live indicator table does not show every event folded yet "
    "(changed since it was computed, or computed and not yet published)",
    ["service"],
    registry=REGISTRY,
)


JSON_UTF8 = {"Content-Type": "application/json; charset=utf-8"}


class BadRequest(ValueError):
    """A query the endpoints cannot answer (400)."""


class NotFound(LookupError):
    """Nothing to answer about what the query names (404)."""


def query(scope: Any) -> dict[str, str]:
    """The query string of an ASGI scope, first value of each parameter."""
    raw = scope.get("query_string", b"")
    return {k: v[0] for k, v in parse_qs(raw.decode() if isinstance(raw, bytes) else raw).items()}


def region_param(params: dict[str, str]) -> str:
    region = params.get("region", "").strip()
    if not region:
        raise BadRequest("region is required, e.g. ?region=RU-YEV")
    if not re.match(REGION_PATTERN, region):
        raise BadRequest(f"region {region!r} is not a region code")
    return region


def as_of_param(params: dict[str, str]) -> date | None:
    raw = params.get("as_of", "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"as_of {raw!r} is not a date (YYYY-MM-DD)") from None


def json_body(model: Any, status: int = 200) -> AsgiResponse:
    return AsgiResponse(model.model_dump_json().encode(), status, JSON_UTF8)


def json_response(data: Any, status: int = 200) -> AsgiResponse:
    """Plain data as UTF-8 JSON, Cyrillic unescaped."""
    return AsgiResponse(json.dumps(data, ensure_ascii=False).encode(), status, JSON_UTF8)


def endpoint(fn: Callable[[dict[str, str]], Awaitable[AsgiResponse]]) -> Callable[[Any], Awaitable[AsgiResponse]]:
    """Query parameters in, 400 with the reason for a bad query."""

    async def handler(scope: Any) -> AsgiResponse:
        try:
            return await fn(query(scope))
        except BadRequest as exc:
            return json_response({"error": str(exc)}, 400)
        except NotFound as exc:
            return json_response({"error": str(exc)}, 404)

    handler.__doc__ = fn.__doc__
    return handler


async def _forever(what: str, step: Callable[[], Awaitable[None]], runtime: ServiceRuntime) -> None:
    """Run a background step again and again; a failure is logged and retried, never fatal."""
    while True:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. the database is unavailable for a while
            runtime.log.warning("indicators_task_failed", task=what, error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(RETRY_AFTER_S)


class IndicatorsRuntime(ServiceRuntime):
    """The runtime with the indicators service's use cases (for the HTTP routes, the CLI, tests and
    benchmarks)."""

    indicators: IndicatorsService
    take_snapshot: Callable[..., Awaitable[PassportSnapshot]]
    rounds: RoundsService


def build(
    settings: Settings | None = None,
    config: IndicatorsConfig | None = None,
    *,
    stores: Stores | None = None,
    clock: Callable[[], datetime] = utc_now,
    publisher: Publisher | None = None,
    **runtime_options: Any,
) -> IndicatorsRuntime:
    """The service on its runtime; `stores` (default: MongoDB), `clock` and `publisher` (default:
    the broker's) are for tests to inject."""
    settings = (settings or IndicatorsSettings()).as_(IndicatorsSettings)
    runtime = IndicatorsRuntime(settings, publisher=publisher, **runtime_options)
    config = config or IndicatorsConfig.from_settings(settings)
    store: Stores = stores or IndicatorStore(runtime.db)
    service = IndicatorsService(
        store.state,
        store.tables,
        store.snapshots,
        config.targets,
        config.resources,
        LiveTables(config.table_debounce_s),
        now=clock,
        heap=runtime.heap,
    )
    runtime.indicators = service
    LIVE_TABLES_BEHIND.labels(settings.service).set_function(service.live.behind)

    async def publish_tables() -> None:
        await service.live.wait()
        while not runtime.broker.running:  # the start-up hooks run before the broker connects
            await asyncio.sleep(0.1)
        events = await service.refresh_due()
        started = time.perf_counter()
        try:
            await runtime.publisher.publish_all(events)
        except Exception:
            service.live.mark(e.region for e in events)  # announce them again later
            raise
        finally:
            service.live.announced(e.region for e in events)
        if events:
            log.info("live_tables_published", tables=len(events), ms=round((time.perf_counter() - started) * 1000, 1))

    async def take_snapshot(region: str, as_of: date | None = None) -> PassportSnapshot:
        with runtime.span_over_recent("indicators passport snapshot"):
            snap, event = await service.snapshot(region, as_of)
            await runtime.publisher.publish(event)
        return snap

    runtime.take_snapshot = take_snapshot

    async def periodic_snapshots() -> None:
        await asyncio.sleep(config.snapshot_interval_s)
        with runtime.span_over_recent("indicators periodic passport snapshots"):
            for _, event in await service.periodic_snapshots():
                await runtime.publisher.publish(event)

    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        await store.ensure_indexes()
        await service.start()
        tasks.append(asyncio.create_task(_forever("live_tables", publish_tables, runtime)))
        if config.snapshot_interval_s > 0:
            tasks.append(asyncio.create_task(_forever("periodic_snapshots", periodic_snapshots, runtime)))

    async def stop() -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        tasks.clear()

    runtime.on_startup(start)
    runtime.on_shutdown(stop)
    governance = rounds_store(runtime)
    rounds = RoundsService(service, governance, config.targets, config.resources, config.rounds)
    runtime.rounds = rounds
    runtime.consume(
        [str(t) for t in INPUTS],
        wire_rounds(runtime, service.handle, rounds, governance, _forever, config.round_revise_s),
        handles=HANDLED,
    )
    subscribe_governance(runtime, rounds)
    runtime.emits(Topic.AGGREGATES, Topic.PASSPORTS, Topic.ROUNDS, Topic.DEAD_LETTER)

    def known_region(params: dict[str, str]) -> str:
        region = region_param(params)
        if region not in service.regions():
            raise NotFound(
                f"неизвестный регион {region}: платформа не получала о нём данных / "
                f"unknown region {region}: the platform has no data about it"
            )
        return region

    @endpoint
    async def indicators(params: dict[str, str]) -> AsgiResponse:
        """The indicator table of a region: ?region=RU-XXX[&as_of=YYYY-MM-DD] (today by default)."""
        as_of = as_of_param(params)  # a malformed query is 400 before an unknown region is 404
        return json_body(service.table(known_region(params), as_of))

    @endpoint
    async def catalogue(params: dict[str, str]) -> AsgiResponse:
        """The indicators: ids, Russian titles, units and the targets of ?region= (defaults otherwise)."""
        region = region_param(params) if params.get("region") else None
        targets = config.targets.for_region(region or "", (as_of_param(params) or service.today()).year)
        return json_response(
            {
                "region": region,
                "indicators": [
                    {
                        "indicator": k,
                        "title": t,
                        "unit": INDICATOR_UNITS[k],
                        "target": targets.get(k),
                        "target_label": None if k in targets else NO_TARGET,
                        "target_is_maximum": k == "E1",
                    }
                    for k, t in INDICATOR_TITLES.items()
                ],
            }
        )

    @endpoint
    async def snapshot(params: dict[str, str]) -> AsgiResponse:
        """Take a passport snapshot now: POST ?region=RU-XXX[&as_of=YYYY-MM-DD]."""
        as_of = as_of_param(params)
        return json_body(await take_snapshot(known_region(params), as_of))

    @endpoint
    async def latest(params: dict[str, str]) -> AsgiResponse:
        """The latest passport snapshot of a region: ?region=RU-XXX."""
        snap = await service.latest_snapshot(region_param(params))
        if snap is None:
            return json_response(
                {"error": "снимков паспорта этого региона ещё нет / no snapshot of this region yet"}, 404
            )
        return json_body(snap)

    runtime.route("/indicators", get(indicators))
    runtime.route("/indicators/catalogue", get(catalogue))
    runtime.route("/passports/snapshot", HttpHandler(snapshot, methods=("POST",)))  # it changes state: never GET
    runtime.route("/passports/latest", get(latest))
    route_rounds(runtime, rounds, endpoint, region_param, json_body, json_response, BadRequest)
    return runtime


def asgi() -> AsgiFastStream:
    """Factory for `faststream run --factory` and `faststream docs gen --factory`."""
    return build().app()
