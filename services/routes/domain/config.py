"""Configuration of route building (per deployment, from the environment)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class RoutePolicy:
    #: hours of programs one route may contain
    budget_hours: int = 144
    #: the most educators one regional methodist carries (DOMAIN.md: 250)
    methodist_max_load: int = 250
    #: "до 35 лет" and "первые 3 года работы" of the young-teacher support rule
    young_age_limit: int = 35
    young_years: int = 3

    @classmethod
    def from_env(cls) -> RoutePolicy:
        return cls(budget_hours=int(os.environ.get("RSNMS_ROUTE_BUDGET_HOURS", "144")),
                   methodist_max_load=int(os.environ.get("RSNMS_METHODIST_MAX_LOAD", "250")))
