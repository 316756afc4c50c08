"""Progress on a route: enrolment, completion of programs and informal items, settlement by a
repeat diagnosis (superseded or deficits closed), departure, refused progress."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import (
    Activity,
    ActivityCompleted,
    Completion,
    EducatorDeparted,
    EducatorLeft,
    Enrolment,
    ProgramCompleted,
    ProgramEnrolled,
)
from services.routes.domain import educator as educator_module
from services.routes.domain.config import RoutePolicy
from services.routes.domain.educator import Catalogue, Loads, Refused
from tests.support.routes import ED, deficit, diagnosed, ev, known, names, program, staff

CATALOGUE = Catalogue(programs={"p": program("p", ["c1"]), "q": program("q", ["c2"])}, staff={"m": staff("m")})


def apply(file, event, loads=None):
    return file.apply(event, CATALOGUE, loads if loads is not None else Loads(), RoutePolicy())


def completed(pid, day, route_id=None):
    return ev(ProgramCompleted, Completion(educator_id=ED, program_id=pid, route_id=route_id, completed_on=day))


def activity(kind, day, route_id=None, item_id=None):
    return ev(
        ActivityCompleted,
        Activity(educator_id=ED, activity_kind=kind, route_id=route_id, item_id=item_id, completed_on=day),
    )


@pytest.fixture
def assigned():
    """An educator with an active route: program p (c1), program q (c2), master class f1 (dig)."""
    file = known()
    event, proposal = apply(file, diagnosed(deficit("c1"), deficit("c2"), deficit("dig", area="digital")))
    assert proposal.payload.role == "methodist" and proposal.payload.route_id == event.payload.route_id
    assert [(i.item_id, i.kind) for i in event.payload.items] == [
        ("p1", "program"),
        ("p2", "program"),
        ("f1", "master_class"),
    ]
    return file, event.payload


def test_the_route_completes_when_every_item_is_done_on_the_latest_date(assigned):
    file, route = assigned
    loads = Loads(methodist={"m": 1})
    assert names(apply(file, completed("p", date(2024, 5, 1)), loads)) == ["ProgramCompletionAccepted"]
    assert apply(file, activity("master_class", date(2024, 6, 1)), loads) == []
    done = apply(file, completed("q", date(2024, 4, 1), route_id=route.route_id), loads)
    assert names(done) == ["ProgramCompletionAccepted", "RouteCompleted"]
    assert done[1].payload.closed_on == date(2024, 6, 1) and done[1].payload.route_id == route.route_id
    assert file.routes[0].status == "completed" and loads.methodist == {"m": 0}
    assert names(apply(file, completed("p", date(2024, 7, 1)), loads)) == [
        "ProgramCompletionAccepted"
    ]  # completes once


def test_enrolment_is_recorded_on_the_route_item(assigned):
    file, route = assigned
    record = file.routes[0]
    assert file.item_status(record, "p1") == "planned"
    apply(file, ev(ProgramEnrolled, Enrolment(educator_id=ED, program_id="p", enrolled_on=date(2024, 3, 10))))
    apply(
        file,
        ev(
            ProgramEnrolled,
            Enrolment(educator_id=ED, program_id="zzz", route_id=route.route_id, enrolled_on=date(2024, 3, 10)),
        ),
    )
    assert record.enrolled == ["p"] and file.item_status(record, "p1") == "enrolled"
    apply(file, completed("p", date(2024, 5, 1)))
    assert file.item_status(record, "p1") == "completed" and file.item_status(record, "f1") == "planned"


def test_an_activity_counts_by_kind_and_item_id(assigned):
    file, route = assigned
    apply(file, completed("p", date(2024, 5, 1)))
    apply(file, completed("q", date(2024, 5, 1)))
    assert apply(file, activity("internship", date(2024, 6, 1))) == []  # another kind
    assert apply(file, activity("master_class", date(2024, 6, 1), item_id="f7")) == []  # another item
    done = apply(file, activity("master_class", date(2024, 6, 2), route_id=route.route_id, item_id="f1"))
    assert names(done) == ["RouteCompleted"]


def test_an_activity_before_the_route_or_of_another_route_does_not_count(assigned):
    file, route = assigned
    apply(file, completed("p", date(2024, 5, 1)))
    apply(file, completed("q", date(2024, 5, 1)))
    assert apply(file, activity("master_class", date(2024, 2, 1))) == []  # before the assignment
    file2 = known()
    apply(file2, diagnosed(deficit("c1"), deficit("dig", area="digital"), dx="dx-0", day=date(2023, 1, 1)))
    apply(file2, activity("master_class", date(2023, 6, 1), route_id="route-dx-0"))
    [cancel, new, proposal] = apply(file2, diagnosed(deficit("dig", area="digital"), dx="dx-1", day=date(2024, 3, 1)))
    assert names([cancel, new, proposal]) == ["RouteCancelled", "RouteAssigned", "SupportProposed"]
    assert apply(file2, activity("master_class", date(2024, 4, 1), route_id="route-dx-0")) == []
    assert names(apply(file2, activity("master_class", date(2024, 4, 2)))) == ["RouteCompleted"]


def test_a_completion_reported_before_the_diagnosis_arrives_still_counts():
    file = known()
    apply(file, completed("p", date(2024, 4, 1)))  # after the diagnosis date, reported first
    out = apply(file, diagnosed(deficit("c1")))
    assert names(out) == ["RouteAssigned", "SupportProposed", "RouteCompleted"] and out[2].payload.closed_on == date(
        2024, 4, 1
    )


def test_progress_naming_an_unknown_route_is_refused_and_changes_nothing(assigned):
    file, route = assigned
    before = file.model_dump()
    with pytest.raises(Refused, match="route-unknown"):
        apply(file, completed("p", date(2024, 5, 1), route_id="route-unknown"))
    with pytest.raises(Refused):
        apply(
            file,
            ev(
                ProgramEnrolled,
                Enrolment(educator_id=ED, program_id="p", route_id="route-unknown", enrolled_on=date(2024, 5, 1)),
            ),
        )
    with pytest.raises(Refused, match="no internship item f1"):
        apply(file, activity("internship", date(2024, 5, 1), route_id=route.route_id, item_id="f1"))
    assert file.model_dump() == before


def test_a_new_diagnosis_with_deficits_supersedes_the_active_route(assigned):
    file, route = assigned
    loads = Loads(methodist={"m": 1})
    out = apply(file, diagnosed(deficit("c1"), dx="dx-2", day=date(2024, 9, 1)), loads)
    assert names(out) == ["RouteCancelled", "RouteAssigned", "SupportProposed"]
    assert out[0].payload.route_id == route.route_id and "dx-2" in out[0].payload.reason
    assert out[1].payload.route_id == "route-dx-2" and loads.methodist == {"m": 1}
    assert [r.status for r in file.routes] == ["cancelled", "active"]
    assert [h.status for h in file.routes[0].history] == ["draft", "active", "cancelled"]


def test_a_diagnosis_without_deficits_completes_a_route_whose_deficits_all_closed(assigned):
    file, _ = assigned
    out = apply(file, diagnosed(dx="dx-2", day=date(2024, 9, 1), scores={"c1": 80, "c2": 70, "dig": 90}))
    assert names(out) == ["RouteCompleted"] and "dx-2" in out[0].payload.reason
    assert out[0].payload.closed_on == date(2024, 9, 1)


def test_a_diagnosis_without_deficits_that_did_not_reassess_leaves_the_route_alone(assigned):
    file, _ = assigned
    assert apply(file, diagnosed(dx="dx-2", day=date(2024, 9, 1), scores={"c1": 80, "c2": 70})) == []
    assert file.active_route() is not None
    assert apply(known(), diagnosed(dx="dx-3", scores={"c1": 90})) == []


def test_new_deficits_elsewhere_complete_the_closed_route_and_assign_a_new_one(assigned):
    file, _ = assigned
    out = apply(file, diagnosed(deficit("c9"), dx="dx-2", day=date(2024, 9, 1), scores={"c1": 80, "c2": 70, "dig": 90}))
    assert names(out) == ["RouteCompleted", "RouteAssigned", "SupportProposed"]


def test_an_older_diagnosis_arriving_late_changes_nothing(assigned):
    file, _ = assigned
    assert apply(file, diagnosed(deficit("c2"), dx="dx-0", day=date(2023, 12, 1))) == []
    assert len(file.routes) == 1 and file.active_route() is not None


def test_a_diagnosis_is_never_routed_twice_even_after_its_outbox_entry_is_forgotten(assigned):
    file, _ = assigned
    file.outbox = []
    assert apply(file, diagnosed(deficit("c1"), deficit("c2"), deficit("dig", area="digital"))) == []
    assert len(file.routes) == 1


def test_departure_cancels_the_active_route_and_no_new_route_follows(assigned):
    file, route = assigned
    out = apply(file, ev(EducatorDeparted, EducatorLeft(educator_id=ED, left_on=date(2024, 4, 1))))
    assert names(out) == ["RouteCancelled"] and out[0].payload.closed_on == date(2024, 4, 1)
    assert file.routes[0].status == "cancelled"
    assert apply(file, diagnosed(deficit("c1"), dx="dx-2", day=date(2024, 9, 1))) == []


def test_the_outbox_is_bounded():
    file = known()
    for n in range(educator_module.OUTBOX_LIMIT + 5):
        apply(file, completed("p", date(2024, 1, 1).replace(day=1 + n % 28, month=1 + n // 28)))
    assert len(file.outbox) == educator_module.OUTBOX_LIMIT


def test_what_an_older_file_emitted_without_a_position_is_kept(assigned):
    file, _ = assigned
    assert file.outbox[-1].at is None and file.outbox[-1].events  # applied without a position
    before = list(file.outbox)
    file.settle({("t", 0): 10**9})
    assert file.outbox == before
