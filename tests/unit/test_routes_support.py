"""Young teachers: under 35 (calendar year) in the first 3 years of work are proposed a mentor on
registration, once, with the reason (a proposal, never a support form: only the school reports one)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import EducatorDeparted, EducatorLeft
from services.routes.domain.config import RoutePolicy
from services.routes.domain.educator import Catalogue, EducatorFile, Loads
from services.routes.domain.support import is_young_teacher
from tests.support.routes import ED, R, deficit, diagnosed, ev, names, program, registered, staff

ON = date(2024, 9, 1)


def apply(file, event, catalogue=None, loads=None, policy=None):
    return file.apply(event, catalogue or Catalogue(), loads if loads is not None else Loads(), policy or RoutePolicy())


@pytest.mark.parametrize(
    ("birth_year", "career_start", "young"),
    [
        (1990, date(2023, 9, 1), True),  # 34 in 2024, first year
        (1989, date(2023, 9, 1), False),  # 35 in 2024
        (2000, date(2021, 10, 25), True),  # about 2.9 years
        (2000, date(2021, 9, 2), True),  # 2 years 364 days
        (2000, date(2021, 9, 1), False),  # exactly 3 years
        (2000, date(2024, 9, 1), True),  # first day of work
        (2000, date(2024, 9, 2), False),  # has not started yet
    ],
)
def test_young_teacher_boundaries(birth_year, career_start, young):
    catalogue = Catalogue(staff={"men": staff("men", kind="mentor")})
    out = apply(EducatorFile(region=R, educator_id=ED), registered(birth_year, career_start, ON), catalogue)
    assert names(out) == (["SupportProposed"] if young else [])
    if young:
        proposal = out[0].payload  # a proposal with its reason, never a support form
        assert (proposal.role, proposal.staff_id, proposal.proposed_on) == ("mentor", "men", ON)
        assert "молодой педагог" in proposal.reason
        assert out[0].region == R and out[0].source == "rsnms-routes"


def test_the_age_limit_and_years_come_from_the_policy():
    policy = RoutePolicy(young_age_limit=30, young_years=2)
    out = apply(EducatorFile(region=R, educator_id=ED), registered(1993, date(2023, 9, 1), ON), policy=policy)
    assert out == []  # 31 in 2024
    out = apply(EducatorFile(region=R, educator_id=ED), registered(1995, date(2023, 9, 1), ON), policy=policy)
    assert names(out) == ["SupportProposed"]


def test_managers_get_no_young_teacher_support():
    assert apply(EducatorFile(region=R, educator_id=ED), registered(1995, date(2023, 9, 1), ON, role="manager")) == []


def test_support_is_assigned_once_across_revisions_and_with_a_deterministic_id():
    file = EducatorFile(region=R, educator_id=ED)
    first = apply(file, registered(1995, date(2023, 9, 1), ON))
    assert apply(file, registered(1995, date(2023, 9, 1), ON, revision=2)) == []
    assert apply(file, registered(1995, date(2023, 9, 1), ON)) == first  # replay re-emits the same event
    again = apply(EducatorFile(region=R, educator_id=ED), registered(1995, date(2023, 9, 1), ON))
    assert again[0].event_id == first[0].event_id


def test_a_later_revision_that_makes_the_educator_a_teacher_assigns_support():
    file = EducatorFile(region=R, educator_id=ED)
    assert apply(file, registered(1995, date(2023, 9, 1), ON, role="manager")) == []
    assert names(apply(file, registered(1995, date(2023, 9, 1), ON, role="teacher", revision=2))) == ["SupportProposed"]


def test_the_proposed_mentor_has_spare_capacity_if_anyone_has_else_the_least_loaded():
    catalogue = Catalogue(
        staff={
            "full": staff("full", kind="mentor", capacity=1),
            "far": staff("far", kind="mentor", muni="m9"),
            "meth": staff("meth"),
        }
    )
    loads = Loads(mentor={"full": 1})
    out = apply(EducatorFile(region=R, educator_id=ED), registered(1995, date(2023, 9, 1), ON), catalogue, loads)
    assert out[0].payload.staff_id == "far" and loads.mentor == {"full": 1, "far": 1}
    catalogue = Catalogue(staff={"full": staff("full", kind="mentor", capacity=1)})
    out = apply(EducatorFile(region=R, educator_id=ED), registered(1995, date(2023, 9, 1), ON), catalogue, loads)
    assert out[0].payload.staff_id == "full" and "перегружены" in out[0].payload.reason


def test_no_support_for_an_educator_who_already_left():
    file = EducatorFile(region=R, educator_id=ED)
    apply(file, ev(EducatorDeparted, EducatorLeft(educator_id=ED, left_on=date(2024, 8, 1))))
    assert apply(file, registered(1995, date(2023, 9, 1), ON)) == []


def test_young_teachers_routes_carry_mentoring_until_the_first_years_end():
    catalogue = Catalogue(programs={"p": program("p", ["c1"])})
    file = EducatorFile(region=R, educator_id=ED)
    apply(file, registered(1995, date(2023, 9, 1), ON), catalogue)
    route, _ = apply(file, diagnosed(deficit("c1"), day=date(2024, 10, 1)), catalogue)
    assert route.payload.items[-1].kind == "mentoring"
    out = apply(file, diagnosed(deficit("c1"), dx="dx-2", day=date(2026, 9, 1)), catalogue)
    assert "mentoring" not in [i.kind for i in out[-2].payload.items]


def test_is_young_teacher_needs_a_teacher_profile():
    assert not is_young_teacher(None, ON, RoutePolicy())
