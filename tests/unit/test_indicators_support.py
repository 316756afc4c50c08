"""I5: teachers under 35 (D.year - birth year) in their first 3 years of work
(career_start <= D < career_start + 3 years) with a current support form (assigned on or
before D, not ended before D). Boundaries of age, the 3 years (incl. 29 February), `until`."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.indicators import D, R, left, nd, reg, support, table


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
    t = table([reg(1, birth=birth, career=career), support(1)])
    assert (("I5", "region", R) in t) == counted
    if counted:
        assert nd(t, ("I5", "region", R)) == (1, 1)


@pytest.mark.parametrize(("as_of", "counted"), [(date(2023, 2, 27), True), (date(2023, 2, 28), False)])
def test_i5_career_started_on_29_february(as_of, counted):
    # 2020-02-29 + 3 years = 2023-02-28 (contracts.calendar.add_years)
    t = table(
        [reg(1, birth=1995, career=date(2020, 2, 29), on=date(2020, 2, 29)), support(1, date(2020, 3, 1))], as_of=as_of
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
    t = table([reg(1, birth=1995, career=date(2023, 9, 1)), support(1, assigned, until)])
    assert nd(t, ("I5", "region", R)) == (int(supported), 1)


def test_i5_counts_teachers_only_and_leavers_nowhere():
    young = {"birth": 1995, "career": date(2023, 9, 1)}
    events = [
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
        support(1, date(2023, 9, 1), date(2024, 3, 1), sid="a"),
        support(1, date(2024, 3, 2), None, sid="b"),
    ]
    assert nd(table(events), ("I5", "region", R)) == (1, 1)
    assert nd(table(events[:2]), ("I5", "region", R)) == (0, 1)
