"""Young-teacher support (формы сопровождения молодых педагогов).

A teacher under 35 (calendar year minus birth year) in the first three years of work
(`career_start <= day < career_start + 3 years`) gets mentoring (наставничество).
"""

from __future__ import annotations

from datetime import date

from contracts import EducatorRecorded, Support
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


def support_id_for(educator_id: str) -> str:
    return f"sup-{educator_id}"


def mentoring(profile: EducatorRecorded, mentor_id: str | None, policy: RoutePolicy) -> Support:
    """Mentoring from registration until the first years end (`until` = career start + 3 years)."""
    return Support(
        support_id=support_id_for(profile.educator_id),
        educator_id=profile.educator_id,
        form="mentoring",
        mentor_id=mentor_id,
        assigned_on=profile.registered_on,
        until=first_years_end(profile, policy),
    )
