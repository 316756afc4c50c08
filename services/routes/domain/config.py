"""Configuration of route building (per deployment: services/routes/settings.py reads it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoutePolicy:
    #: hours of programs one route may contain
    budget_hours: int = 144
    #: the most educators one regional methodist carries (docs/domain.md: 250)
    methodist_max_load: int = 250
    #: "до 35 лет" and "первые 3 года работы" of the young-teacher support rule
    young_age_limit: int = 35
    young_years: int = 3
