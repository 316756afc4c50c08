"""The passport (паспорт ДППО): every section of seed 004 from the folded state, explicit
nulls with a note where the platform has no data, Russian titles, counts only, and
documents whose keys FerretDB accepts even when entity ids contain dots."""

from __future__ import annotations

from datetime import date

from contracts import (
    KafkaPosition,
    ManagementTeamDissolved,
    OrganizationClosed,
    OrganizationClosure,
    StaffLeft,
    SupportStaffDeparted,
    TeamDissolution,
)
from services.indicators.adapters.documents import unsafe_keys
from services.indicators.domain.indicators import compute_indicators
from services.indicators.domain.labels import SECTION_TITLES
from services.indicators.domain.passport import build_passport
from services.indicators.domain.resources import FEDERAL, InformationResources
from tests.support.indicators import (
    TARGETS,
    D,
    R,
    closed,
    cnppm,
    done,
    dx,
    ev,
    item,
    left,
    methodist,
    org,
    program,
    reg,
    route,
    state_of,
    support,
    team,
    trained,
)


def scenario():
    return [
        org("iro.region", muni="m.9"),
        org("s1", kind="school", muni="m1", low=True),
        org("s2", kind="school", muni="m2", poor=True),
        org("s3", kind="school", muni="m2", low=True, poor=True),
        program("p.1", provider="iro.region"),
        program("p2", provider="iro.region", register_from=None),
        program("q", topic="education_quality_management", provider="iro.region"),
        program("old", implemented=False),
        methodist("m-1"),
        methodist("m-2"),
        methodist("t-1", kind="tutor"),
        methodist("n-1", kind="mentor"),
        methodist("m-3", active=False),
        cnppm("c1"),
        cnppm("c2"),
        cnppm("c3", active=False),
        trained("c1"),
        team("t1", "s1"),
        reg(1),
        reg(2),
        reg(3, role="manager"),
        reg(4),
        left(4, date(2024, 6, 1)),
        reg(5, birth=1996, career=date(2023, 9, 1)),
        support(5),
        dx(1),
        dx(2),
        dx(4),
        route(1, ("p.1",)),
        done(1, "p.1"),
        done(1, "p2", date(2024, 7, 1)),
        route(2, ("p.1",)),
        closed(2, date(2024, 9, 1)),
        item("1", "done"),
        item("2", "planned", due=date(2024, 3, 1)),
        item("3", "in_progress", due=date(2025, 3, 1)),
        item("4", "cancelled"),
    ]


def passport(events=None, resources=(), positions=()):
    state = state_of(events if events is not None else scenario())
    values = compute_indicators(state, R, D, TARGETS)
    return build_passport(state, D, values, positions, resources), values


def test_staff_programs_infrastructure_involvement_and_roadmap_figures():
    doc, _ = passport()
    active_teachers, active_managers = {1, 2, 5}, {3}  # educator 4 left
    assert doc.staff.figures["teachers"] == len(active_teachers) and doc.staff.figures["managers"] == len(
        active_managers
    )
    assert doc.staff.figures["educators"] == 4
    assert (doc.staff.figures["regional_methodists"], doc.staff.figures["tutors"], doc.staff.figures["mentors"]) == (
        2,
        1,
        1,
    )
    assert (doc.staff.figures["cnppm_staff"], doc.staff.figures["cnppm_staff_trained"]) == (2, 1)
    assert doc.staff.figures["cnppm_staff_trained_share"] == 0.5
    assert doc.programs.figures["implemented"] == 3 and doc.programs.figures["in_federal_register"] == 2
    assert doc.programs.figures["federal_register_share"] == 2 / 3
    assert doc.programs.breakdown["implemented_by_topic"] == {"education_quality_management": 1, "methodical": 2}
    infra = doc.infrastructure.figures
    assert (
        infra["organizations"],
        infra["schools"],
        infra["schools_low_results"],
        infra["schools_unfavourable_conditions"],
        infra["management_teams"],
    ) == (4, 3, 2, 2, 1)
    assert doc.infrastructure.breakdown["organizations_by_kind"] == {"institute": 1, "school": 3}
    inv = doc.involvement.figures
    assert (
        inv["active_educators"],
        inv["diagnosed"],
        inv["with_routes"],
        inv["completed_programs"],
        inv["program_completions"],
        inv["with_support_form"],
    ) == (4, 2, 2, 1, 2, 1)
    rm = doc.roadmap.figures
    assert (rm["items"], rm["done"], rm["overdue"], rm["completion"]) == (3, 1, 1, 1 / 3)  # item 2 was due in March


def test_sections_without_data_are_explicit_nulls_with_a_note():
    doc, _ = passport()
    assert doc.financing.figures == {"total_rub": None, "per_educator_rub": None} and doc.financing.note
    assert doc.students_results.figures == {"correlation": None} and doc.students_results.note
    assert doc.information_resources.items == () and doc.information_resources.note


def test_titles_are_russian_and_resources_come_from_configuration():
    resources = InformationResources.from_doc({"information_resources": {"regions": {R: ["ЦНППМ: https://x"]}}})
    doc, _ = passport(resources=resources.for_region(R))
    assert doc.information_resources.items == (*FEDERAL, "ЦНППМ: https://x") and doc.information_resources.note is None
    assert doc.staff.title == SECTION_TITLES["staff"] == "Кадровый состав"
    assert doc.title.startswith("Паспорт")


def test_the_indicator_table_and_the_kafka_positions_are_included():
    positions = [
        KafkaPosition(topic="rsnms.routes.events", partition=1, offset=7),
        KafkaPosition(topic="rsnms.registry.facts", partition=0, offset=42),
    ]
    doc, values = passport(positions=positions)
    assert doc.indicators == tuple(values)
    assert [(p.topic, p.partition) for p in doc.kafka_positions] == [
        ("rsnms.registry.facts", 0),
        ("rsnms.routes.events", 1),
    ]
    i1 = next(v for v in doc.indicators if (v.indicator, v.scope_kind) == ("I1", "region"))
    assert (i1.numerator, i1.denominator) == (2, 4)
    assert doc.staff.figures["teachers"] + doc.staff.figures["managers"] == i1.denominator


def test_the_document_has_no_unsafe_keys_and_no_personal_ids():
    doc, _ = passport()
    dumped = doc.model_dump(mode="json")
    assert unsafe_keys(dumped) == []  # ids with dots ("iro.region", "p.1", "m.9") never become keys
    assert "ed-" not in doc.model_dump_json()


def test_an_empty_region_has_every_section():
    doc, values = passport(events=[])
    assert values == [] and doc.staff.figures["educators"] == 0
    assert doc.programs.figures["federal_register_share"] is None and doc.roadmap.figures["completion"] is None


def test_the_passport_describes_d_closed_organizations_dissolved_teams_and_departed_staff_are_gone():
    events = [
        org("s1", kind="school", muni="m1"),
        org("s2", kind="school", muni="m2"),
        team("t1", "s1"),
        team("t2", "s2"),
        methodist("met-1"),
        ev(OrganizationClosed, OrganizationClosure(organization_id="s2", closed_on=date(2024, 9, 1))),
        ev(ManagementTeamDissolved, TeamDissolution(team_id="t2", dissolved_on=date(2024, 9, 1))),
        ev(SupportStaffDeparted, StaffLeft(staff_id="met-1", left_on=date(2024, 9, 1))),
    ]
    state = state_of(events)
    for day, expected in ((date(2024, 8, 31), (2, 2, 1)), (date(2024, 9, 1), (1, 1, 0))):
        doc = build_passport(
            state, day, compute_indicators(state, R, day, TARGETS), [], InformationResources().for_region(R)
        )
        figures = doc.infrastructure.figures
        assert (figures["schools"], figures["management_teams"], doc.staff.figures["regional_methodists"]) == expected
