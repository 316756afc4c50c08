"""Who is a young teacher (молодой педагог): under 35 (calendar year minus birth year) in the
first three years of work (`career_start <= day < career_start + 3 years`). The routes service
proposes a mentor for them; the support form itself is reported by the school."""

from __future__ import annotations

from datetime import date

from contracts import EducatorRecorded
from contracts.calendar import add_years
from services.routes.domain.config import RoutePolicy


def first_years_end(profile: EducatorRecorded, policy: RoutePolicy) -> date:
    """The first day after the first `young_years` years of work."""
    return add_years(profile.career_start, policy.young_years)


def is_young_teacher(profile: EducatorRecorded | None, day: date, policy: RoutePolicy) -> bool:
    if profile is None or profile.role != "teacher":
        return False
    return day.year - profile.birth_year < policy.young_age_limit and profile.career_start <= day < first_years_end(
        profile, policy
    )
