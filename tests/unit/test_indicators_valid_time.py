"""Facts dated in the world: as of D the indicators read what was true on D (road-map status,
program periods and register status, teams formed/dissolved, staff employment), and the
definitions that follow the seeds: I1 only diagnoses by counting providers, I2 also routes
developed outside the platform, I3 only progress the routes service accepted, I4R its own
wording."""

from __future__ import annotations

from datetime import date

from contracts import (
    Completion,
    ImplementationPeriod,
    ManagementTeamDissolved,
    ProgramCompleted,
    ProgramImplementationReported,
    ProgramRegisterStatusChanged,
    RegisterStatus,
    RoadmapItemStatusChanged,
    RoadmapStatusChange,
    TeamDissolution,
)
from services.indicators.domain.targets import Targets
from tests.support.indicators import R, done, dx, ed, ev, item, nd, outside_route, program, reg, route, table, team
from tests.support.indicators import team_done as team_completed


def status(iid: str, st: str, on: date):
    return ev(RoadmapItemStatusChanged, RoadmapStatusChange(item_id=iid, status=st, effective=on))


def test_a_road_map_item_completed_in_june_is_not_done_in_january():
    events = [item("1", "planned"), status("1", "in_progress", date(2024, 2, 1)), status("1", "done", date(2024, 6, 1))]
    assert nd(table(events, as_of=date(2024, 1, 1)), ("RM", "region", R)) == (0, 1)
    assert nd(table(events, as_of=date(2024, 6, 1)), ("RM", "region", R)) == (1, 1)
    cancelled = [*events, status("1", "cancelled", date(2024, 9, 1))]
    assert ("RM", "region", R) not in table(cancelled, as_of=date(2024, 10, 1))


def test_a_registration_that_says_done_counts_from_its_completion_date():
    ev_done = item("1", "done", completed=date(2024, 6, 1))
    assert nd(table([ev_done], as_of=date(2024, 1, 1)), ("RM", "region", R)) == (0, 1)
    assert nd(table([ev_done], as_of=date(2024, 6, 2)), ("RM", "region", R)) == (1, 1)


def test_program_implementation_periods_and_register_changes_are_dated():
    events = [
        program("p", register_from=None),
        ev(
            ProgramImplementationReported,
            ImplementationPeriod(program_id="p", period_from=date(2023, 9, 1), period_to=date(2024, 5, 31)),
        ),
        ev(
            ProgramRegisterStatusChanged, RegisterStatus(program_id="p", status="included", effective=date(2024, 1, 10))
        ),
        ev(ProgramRegisterStatusChanged, RegisterStatus(program_id="p", status="excluded", effective=date(2024, 4, 1))),
    ]
    assert nd(table(events, as_of=date(2023, 12, 1)), ("I6", "region", R)) == (0, 1)
    assert nd(table(events, as_of=date(2024, 2, 1)), ("I6", "region", R)) == (1, 1)
    assert nd(table(events, as_of=date(2024, 4, 1)), ("I6", "region", R)) == (0, 1)
    assert ("I6", "region", R) not in table(events, as_of=date(2024, 6, 1))  # not implemented any more


def test_teams_count_while_they_exist_and_i4r_is_its_own_definition():
    events = [
        program("q", topic="education_quality_management"),
        program("o"),
        team("t1", "s1"),
        team("t2", "s2"),
        team_completed("t1", "o"),
        ev(ManagementTeamDissolved, TeamDissolution(team_id="t2", dissolved_on=date(2024, 9, 1))),
    ]
    t = table(events, as_of=date(2024, 8, 31))
    assert nd(t, ("I4", "region", R)) == (0, 2) and nd(t, ("I4R", "region", R)) == (1, 2)
    t = table(events, as_of=date(2024, 9, 1))
    assert nd(t, ("I4", "region", R)) == (0, 1) and nd(t, ("I4R", "region", R)) == (1, 1)


def test_i1_counts_only_diagnoses_by_the_providers_the_region_counts():
    events = [reg(1), dx(1), reg(2), dx(2, by="other_centre"), reg(3), dx(3, by="unknown")]
    assert nd(table(events), ("I1", "region", R)) == (1, 3)
    wider = Targets.from_doc({"i1_providers": {"regions": {R: ["cnppm", "other_centre"]}}})
    assert nd(table(events, targets=wider), ("I1", "region", R)) == (2, 3)


def test_i2_counts_routes_developed_outside_the_platform_with_their_source():
    events = [reg(1), route(1), reg(2), outside_route(2, date(2024, 3, 5)), reg(3)]
    t = table(events)
    assert nd(t, ("I2", "region", R)) == (2, 3)
    assert t[("I2", "region", R)].extra == {"source:fed-platform": 1.0, "source:platform": 1.0}
    assert nd(table(events, as_of=date(2024, 3, 4)), ("I2", "region", R)) == (1, 3)


def test_i3_counts_only_completions_the_routes_service_accepted():
    reported = ev(ProgramCompleted, Completion(educator_id=ed(1), program_id="p1", completed_on=date(2024, 6, 1)))
    base = [program("p1"), reg(1), route(1)]
    assert nd(table([*base, reported]), ("I3", "region", R)) == (0, 1)  # reported, not (yet) accepted
    assert nd(table([*base, done(1)]), ("I3", "region", R)) == (1, 1)
