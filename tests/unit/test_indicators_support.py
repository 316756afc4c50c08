"""I5: teachers under 35 (D.year - birth year) in their first 3 years of work
(career_start <= D < career_start + 3 years) with a support form reported by their school,
confirmed, with a real supporter, running on D. Boundaries of age, the 3 years (incl. 29
February), the form's end; what the platform proposes counts for nothing."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import StaffLeft, SupportStaffDeparted
from tests.support.indicators import D, R, ed, ev, left, mentor, nd, reg, support, table


@pytest.mark.parametrize(
    ("birth", "career", "counted"),
    [
        (1990, date(2022, 9, 1), True),  # 2024 - 1990 = 34 < 35
        (1989, date(2022, 9, 1), False),  # 2024 - 1989 = 35: not "до 35"
        (1995, date(2022, 1, 1), True),  # career start + 3 years = 2025-01-01 > D
        (1995, date(2021, 12, 31), False),  # career start + 3 years = 2024-12-31 = D: the 3 years are over
        (1995, D, True),  # starts on D
        (1995, date(2025, 1, 15), False),  # has not started yet
    ],
)
def test_i5_age_and_first_three_years(birth, career, counted):
    t = table([mentor(), reg(1, birth=birth, career=career), support(1)])
    assert (("I5", "region", R) in t) == counted
    if counted:
        assert nd(t, ("I5", "region", R)) == (1, 1)


@pytest.mark.parametrize(("as_of", "counted"), [(date(2023, 2, 27), True), (date(2023, 2, 28), False)])
def test_i5_career_started_on_29_february(as_of, counted):
    # 2020-02-29 + 3 years = 2023-02-28 (contracts.calendar.add_years)
    t = table(
        [mentor(), reg(1, birth=1995, career=date(2020, 2, 29), on=date(2020, 2, 29)), support(1, date(2020, 3, 1))],
        as_of=as_of,
    )
    assert (("I5", "region", R) in t) == counted


@pytest.mark.parametrize(
    ("assigned", "until", "supported"),
    [
        (date(2024, 1, 1), None, True),
        (date(2024, 1, 1), D, True),  # ends on D: still current on D
        (date(2024, 1, 1), date(2024, 12, 30), False),  # ended the day before
        (D, None, True),  # assigned on D
        (date(2025, 1, 1), None, False),  # assigned after D
    ],
)
def test_i5_support_must_be_current_on_d(assigned, until, supported):
    t = table([mentor(), reg(1, birth=1995, career=date(2023, 9, 1)), support(1, assigned, until)])
    assert nd(t, ("I5", "region", R)) == (int(supported), 1)


def test_i5_counts_teachers_only_and_leavers_nowhere():
    young = {"birth": 1995, "career": date(2023, 9, 1)}
    events = [
        mentor(),
        reg(1, **young),
        support(1),
        reg(2, **young),
        reg(3, role="manager", **young),
        support(3),  # a young manager: not in I5
        reg(4, **young),
        support(4),
        left(4, date(2024, 11, 1)),
        reg(5),
        support(5),
    ]  # a supported teacher who is not young
    assert nd(table(events), ("I5", "region", R)) == (1, 2)


def test_i5_one_current_form_among_several_is_enough():
    events = [
        reg(1, birth=1995, career=date(2023, 9, 1)),
        mentor(),
        support(1, date(2023, 9, 1), date(2024, 3, 1), sid="a"),
        support(1, date(2024, 3, 2), None, sid="b"),
    ]
    assert nd(table(events), ("I5", "region", R)) == (1, 1)
    assert nd(table(events[:3]), ("I5", "region", R)) == (0, 1)


YOUNG = {"birth": 1995, "career": date(2023, 9, 1)}


@pytest.mark.parametrize(
    ("form", "counted"),
    [
        ({}, True),
        ({"confirmed": False}, False),  # proposed or pending: not confirmed by the organization
        ({"supporter": None}, False),  # nobody named (what the platform used to open by itself)
        ({"supporter": "nobody"}, False),  # a supporter the registry does not know
    ],
)
def test_i5_only_a_confirmed_form_with_a_real_supporter_counts(form, counted):
    t = table([mentor(), reg(1, **YOUNG), support(1, **form)])
    assert nd(t, ("I5", "region", R)) == (int(counted), 1)


def test_i5_an_educator_can_be_the_mentor_but_not_of_themself():
    assert nd(table([reg(1, **YOUNG), reg(2), support(1, supporter=ed(2))]), ("I5", "region", R)) == (1, 1)
    assert nd(table([reg(1, **YOUNG), support(1, supporter=ed(1))]), ("I5", "region", R)) == (0, 1)


def test_i5_a_mentor_who_left_supports_nobody_from_the_day_they_left():
    events = [mentor(), reg(1, **YOUNG), support(1), ev(SupportStaffDeparted, StaffLeft(staff_id="men-1", left_on=D))]
    assert nd(table(events, as_of=date(2024, 12, 30)), ("I5", "region", R)) == (1, 1)
    assert nd(table(events), ("I5", "region", R)) == (0, 1)


def test_i5_is_evaluated_on_every_date_a_form_reported_late_changes_the_past():
    # registered a week before the career start: support that starts later counts from its start
    events = [mentor(), reg(1, birth=1995, career=date(2023, 9, 1), on=date(2023, 8, 25))]
    late = support(1, date(2023, 10, 1), date(2024, 6, 30))
    for day, expected in [(date(2023, 9, 1), (0, 1)), (date(2023, 10, 1), (1, 1)), (date(2024, 7, 1), (0, 1))]:
        assert nd(table([*events, late], as_of=day), ("I5", "region", R)) == expected
    assert nd(table(events, as_of=date(2023, 10, 1)), ("I5", "region", R)) == (0, 1)


def test_i5_a_later_revision_of_the_form_supersedes_the_earlier_one_in_any_order():
    first, ended = support(1, date(2024, 1, 1)), support(1, date(2024, 1, 1), date(2024, 6, 30), rev=2)
    for events in ([first, ended], [ended, first]):
        assert nd(table([mentor(), reg(1, **YOUNG), *events]), ("I5", "region", R)) == (0, 1)
