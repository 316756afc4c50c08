"""Settings of the routes service: the shared ones and route building."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from rsnms_runtime.settings import Settings, env
from services.routes.domain.config import RoutePolicy


class RoutesSettings(Settings):
    service: str = Field("routes", validation_alias="service", json_schema_extra={"from_env": False})
    route_budget_hours: int = env("RSNMS_ROUTE_BUDGET_HOURS", 144, "hours of programs one route may contain", ge=1)
    methodist_max_load: int = env(
        "RSNMS_METHODIST_MAX_LOAD",
        250,
        "the most educators one regional methodist carries (advice for proposals, never a filter)",
        ge=1,
    )
    competency_frameworks: Path | None = env(
        "RSNMS_COMPETENCY_FRAMEWORKS", None, "the region's own competency frameworks, for the titles in route reasons"
    )


def route_policy(settings: RoutesSettings) -> RoutePolicy:
    return RoutePolicy(budget_hours=settings.route_budget_hours, methodist_max_load=settings.methodist_max_load)
