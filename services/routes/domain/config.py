"""Configuration of route building (per deployment, from the environment)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


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
    def from_env(cls, env: Mapping[str, str] | None = None) -> RoutePolicy:
        """RSNMS_ROUTE_BUDGET_HOURS (default 144), RSNMS_METHODIST_MAX_LOAD (default 250)."""
        env = os.environ if env is None else env
        return cls(
            budget_hours=_positive(env, "RSNMS_ROUTE_BUDGET_HOURS", cls.budget_hours),
            methodist_max_load=_positive(env, "RSNMS_METHODIST_MAX_LOAD", cls.methodist_max_load),
        )
