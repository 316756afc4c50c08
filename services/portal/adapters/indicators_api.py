"""The indicators service's HTTP API, read by the portal: tables (any date), the catalogue
(Russian titles, targets), the latest passport. Tables of past dates are kept until the
region's feed announces a change; today's table is always asked for afresh."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from contracts import IndicatorTable, PassportSnapshot


class IndicatorsUnavailable(RuntimeError):
    """The indicators service did not answer (the page says so instead of failing)."""


class NoData(LookupError):
    """The indicators service has no data about this region (its 404)."""


class IndicatorsClient:
    def __init__(self, base_url: str, client: httpx.AsyncClient | None = None, today: Any = date.today):
        self._http = client or httpx.AsyncClient(base_url=base_url, timeout=10.0)
        self._today = today
        self._past: dict[tuple[str, date], IndicatorTable] = {}
        self._catalogue: dict[str, dict[str, Any]] = {}
        self._rounds: dict[tuple[str, str, int], IndicatorTable] = {}

    async def _get(self, path: str, **params: str) -> httpx.Response:
        try:
            return await self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise IndicatorsUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def table(self, region: str, as_of: date | None = None) -> IndicatorTable:
        day = as_of or self._today()
        cached = self._past.get((region, day)) if day < self._today() else None
        if cached is not None:
            return cached
        response = await self._get("/indicators", region=region, as_of=day.isoformat())
        if response.status_code == 404:
            raise NoData(region)
        if response.status_code != 200:
            raise IndicatorsUnavailable(f"/indicators answered {response.status_code}: {response.text[:200]}")
        table = IndicatorTable.model_validate_json(response.content)
        if day < self._today():
            self._past[(region, day)] = table
        return table

    async def catalogue(self, region: str) -> dict[str, Any]:
        if region not in self._catalogue:
            response = await self._get("/indicators/catalogue", region=region)
            if response.status_code != 200:
                raise IndicatorsUnavailable(f"/indicators/catalogue answered {response.status_code}")
            self._catalogue[region] = response.json()
        return self._catalogue[region]

    async def titles(self, region: str) -> dict[str, str]:
        return {i["indicator"]: i["title"] for i in (await self.catalogue(region))["indicators"]}

    async def latest_passport(self, region: str) -> PassportSnapshot | None:
        response = await self._get("/passports/latest", region=region)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise IndicatorsUnavailable(f"/passports/latest answered {response.status_code}")
        return PassportSnapshot.model_validate_json(response.content)

    async def _optional_json(self, path: str, **params: str) -> Any:
        """A JSON answer, None for a 404 (no such round, or an indicators service without rounds)."""
        response = await self._get(path, **params)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise IndicatorsUnavailable(f"{path} answered {response.status_code}")
        return response.json()

    async def rounds(self, region: str) -> list[dict[str, Any]] | None:
        """The region's monitoring rounds; None when the indicators service has none to offer."""
        found = await self._optional_json("/rounds", region=region)
        return None if found is None else list(found.get("rounds", ()))

    async def round_table(self, region: str, round_id: str, versions: int) -> IndicatorTable | None:
        """The indicators a round's latest version froze, as a table; versions are immutable, so
        it is kept for as long as the round has that many versions."""
        key = (region, round_id, versions)
        if key not in self._rounds:
            doc = await self._optional_json("/rounds/version", region=region, round=round_id)
            if doc is None:
                return None
            self._rounds[key] = IndicatorTable.model_validate(
                {
                    "region": region,
                    "as_of": doc["reporting_date"],
                    "computed_at": doc["frozen_at"],
                    "values": doc["indicators"],
                }
            )
        return self._rounds[key]

    async def round_passport(self, region: str, round_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self._optional_json("/rounds/passport", region=region, round=round_id)
        return found

    async def round_report(self, region: str, round_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self._optional_json("/rounds/report", region=region, round=round_id)
        return found

    async def round_analysis(self, region: str, round_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self._optional_json("/rounds/analysis", region=region, round=round_id)
        return found

    def changed(self, region: str) -> None:
        """A late event may change a past date's figures: forget the region's cached tables."""
        for key in [k for k in self._past if k[0] == region]:
            del self._past[key]

    async def close(self) -> None:
        await self._http.aclose()
