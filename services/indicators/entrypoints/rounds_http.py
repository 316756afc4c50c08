"""HTTP reads of monitoring rounds (JSON; the structures are documented in docs/rounds.md):

- GET /rounds?region=RU-XXX                                   the region's rounds, versions, passport status
- GET /rounds/version?region=&round=[&version=]               a frozen version (latest by default)
- GET /rounds/analysis?region=&round=[&version=]              its analysis and recommendations
- GET /rounds/report?region=&round=[&version=]                the «аналитическая справка» (RoundReport)
- GET /rounds/passport?region=&round=                         the round's passport, completeness, life
- GET /rounds/summary?region=                                  what the federal operator's feed carries
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from faststream.asgi import AsgiResponse, get

from contracts.envelope import ID_PATTERN
from rsnms_runtime.service import ServiceRuntime
from services.indicators.rounds_service import RoundsService

NOT_FOUND = {"error": "нет такого тура или версии"}


def route_rounds(
    runtime: ServiceRuntime,
    rounds: RoundsService,
    endpoint: Callable[..., Any],
    region_param: Callable[[dict[str, str]], str],
    json_body: Callable[..., AsgiResponse],
    json_data: Callable[..., AsgiResponse],
    bad_request: type[Exception],
) -> None:
    """Register the endpoints; the query helpers and the (UTF-8 JSON) responses are the app's."""

    def round_param(params: dict[str, str]) -> str:
        value = params.get("round", "").strip()
        if not value or not re.match(ID_PATTERN, value):
            raise bad_request("round is required, e.g. ?round=2025-2")
        return value

    def version_param(params: dict[str, str]) -> int | None:
        raw = params.get("version", "").strip()
        if not raw:
            return None
        if not raw.isdigit() or int(raw) < 1:
            raise bad_request(f"version {raw!r} is not a positive whole number")
        return int(raw)

    @endpoint
    async def listing(params: dict[str, str]) -> AsgiResponse:
        region = region_param(params)
        return json_data({"region": region, "rounds": await rounds.rounds(region)})

    @endpoint
    async def version(params: dict[str, str]) -> AsgiResponse:
        found = await rounds.version(region_param(params), round_param(params), version_param(params))
        return json_body(found) if found else json_data(NOT_FOUND, 404)

    @endpoint
    async def analysis(params: dict[str, str]) -> AsgiResponse:
        found = await rounds.analysis(region_param(params), round_param(params), version_param(params))
        if found is None:
            return json_data(NOT_FOUND, 404)
        _, result, recommendations = found
        return json_data(
            {
                "analysis": result.model_dump(mode="json"),
                "recommendations": [r.model_dump(mode="json") for r in recommendations],
            }
        )

    @endpoint
    async def report(params: dict[str, str]) -> AsgiResponse:
        found = await rounds.report(region_param(params), round_param(params), version_param(params))
        return json_body(found) if found else json_data(NOT_FOUND, 404)

    @endpoint
    async def passport(params: dict[str, str]) -> AsgiResponse:
        found = await rounds.passport(region_param(params), round_param(params))
        return json_data(found) if found else json_data(NOT_FOUND, 404)

    @endpoint
    async def summary(params: dict[str, str]) -> AsgiResponse:
        return json_body(await rounds.summary(region_param(params)))

    runtime.route("/rounds", get(listing))
    runtime.route("/rounds/version", get(version))
    runtime.route("/rounds/analysis", get(analysis))
    runtime.route("/rounds/report", get(report))
    runtime.route("/rounds/passport", get(passport))
    runtime.route("/rounds/summary", get(summary))
