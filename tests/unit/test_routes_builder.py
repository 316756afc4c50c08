"""Route building: coverage, register first, hour budget, multi-deficit programs, uncovered
deficits as informal formats, reasons, deterministic ids."""

from __future__ import annotations

import random
from datetime import date

from services.routes.domain.builder import Programs, build_route, route_id_for
from services.routes.domain.educator import Catalogue
from tests.support.routes import DAY, deficit, diagnosis, program


def build(dx, catalogue, completed=frozenset(), budget=144, young=False, methodist=None, titles=None):
    return build_route(dx, catalogue, set(completed), budget, young, methodist, titles)


def test_every_deficit_is_covered_by_a_program_that_addresses_it():
    catalogue = [program("p-c1", ["c1"]), program("p-c2", ["c2", "other"]), program("p-x", ["x"])]
    route = build(diagnosis(deficit("c1"), deficit("c2")), catalogue, methodist="m1")
    assert sorted((i.program_id, i.covers) for i in route.items) == [("p-c1", ("c1",)), ("p-c2", ("c2",))]
    assert route.uncovered == () and route.total_hours == 72 and route.methodist_id == "m1"
    assert route.route_id == "route-dx-1" and route.assigned_on == DAY and route.diagnosis_id == "dx-1"


def test_register_programs_come_first_even_when_longer():
    catalogue = [program("short-outside", ["c1"], hours=16, register=False), program("long-register", ["c1"], hours=72)]
    [item] = build(diagnosis(deficit("c1")), catalogue).items
    assert item.program_id == "long-register" and item.in_federal_register


def test_register_window_is_checked_on_the_diagnosis_date():
    expired = program("expired", ["c1"], hours=16, register_to=date(2024, 1, 31))
    valid = program("valid", ["c1"], hours=72, register_to=DAY)  # the last day still counts
    [item] = build(diagnosis(deficit("c1")), [expired, valid]).items
    assert item.program_id == "valid" and item.in_federal_register


def test_outside_register_program_when_the_register_has_none_and_the_reason_says_so():
    [item] = build(diagnosis(deficit("c1")), [program("outside", ["c1"], register=False)]).items
    assert item.program_id == "outside" and not item.in_federal_register
    assert "вне ФР ДПП" in item.reason and "из ФР ДПП" not in item.reason


def test_among_register_programs_fewest_hours_then_id():
    catalogue = [program("b", ["c1"], hours=36), program("a", ["c1"], hours=36), program("c", ["c1"], hours=24)]
    assert build(diagnosis(deficit("c1")), catalogue).items[0].program_id == "c"
    assert build(diagnosis(deficit("c1")), catalogue[:2]).items[0].program_id == "a"


def test_a_program_covering_several_deficits_is_added_once_with_all_it_covers():
    catalogue = [
        program("both", ["c2", "c3"], hours=36),
        program("only-c2", ["c2"], hours=16),
        program("only-c3", ["c3"], hours=16),
    ]
    route = build(diagnosis(deficit("c2"), deficit("c3", severity="critical", score=20)), catalogue)
    [item] = route.items
    assert item.program_id == "both" and item.covers == ("c3", "c2")  # most severe first
    assert route.total_hours == 36 and item.reason.count("дефицит") == 2


def test_hours_stay_within_the_budget_and_the_most_severe_deficit_is_served_first():
    catalogue = [program("for-mild", ["mild"], hours=100), program("for-severe", ["severe"], hours=100)]
    route = build(
        diagnosis(deficit("mild", severity="moderate", score=55), deficit("severe", severity="critical", score=10)),
        catalogue,
        budget=144,
    )
    assert [i.program_id for i in route.items if i.kind == "program"] == ["for-severe"]
    assert route.total_hours == 100 <= 144 and route.uncovered == ("mild",)


def test_a_smaller_program_still_fits_after_a_big_one():
    catalogue = [
        program("big", ["c1"], hours=120),
        program("huge-c2", ["c2"], hours=72),
        program("small-c2", ["c2"], hours=24),
    ]
    route = build(diagnosis(deficit("c1", severity="critical", score=10), deficit("c2")), catalogue)
    assert [i.program_id for i in route.items] == ["big", "small-c2"] and route.total_hours == 144


def test_uncovered_deficits_get_informal_formats_by_area_with_a_reason():
    route = build(
        diagnosis(
            deficit("dig", area="digital"),
            deficit("subj", area="subject"),
            deficit("psy", area="psychological_pedagogical"),
            deficit("dig2", area="digital"),
        ),
        [],
    )
    assert route.total_hours == 0 and sorted(route.uncovered) == ["dig", "dig2", "psy", "subj"]
    kinds = {i.kind: i for i in route.items}
    assert set(kinds) == {"master_class", "internship", "horizontal_learning"}
    assert sorted(kinds["master_class"].covers) == ["dig", "dig2"] and kinds["internship"].covers == ("subj",)
    assert all(i.hours == 0 and "144 ч" in i.reason and "закрывает дефицит" in i.reason.lower() for i in route.items)
    assert len({i.item_id for i in route.items}) == len(route.items)


def test_reason_names_the_deficit_with_its_title_score_and_threshold():
    titles = {"digital_platforms": "Цифровая компетентность"}
    catalogue = [program("p", ["digital_platforms"], title="Цифровая школа")]
    [item] = build(diagnosis(deficit("digital_platforms", score=42, threshold=60)), catalogue, titles=titles).items
    assert item.reason.startswith(
        "Закрывает дефицит «Цифровая компетентность» (балл 42 < порог 60); программа из ФР ДПП"
    )
    assert "Цифровая школа" in item.reason
    [untitled] = build(diagnosis(deficit("c9", score=42.5)), [program("q", ["c9"])]).items
    assert "«c9» (балл 42.5 < порог 60)" in untitled.reason


def test_completed_and_not_implemented_programs_are_not_offered():
    catalogue = [
        program("done", ["c1"], hours=16),
        program("off", ["c1"], hours=8, implemented=False),
        program("next", ["c1"], hours=72),
    ]
    route = build(diagnosis(deficit("c1")), catalogue, completed={"done"})
    assert [i.program_id for i in route.items] == ["next"]


def test_young_teachers_get_a_mentoring_item_with_its_reason():
    route = build(diagnosis(deficit("c1")), [program("p", ["c1"])], young=True)
    assert [i.kind for i in route.items] == ["program", "mentoring"]
    assert "молодой педагог" in route.items[-1].reason and route.items[-1].covers == ()
    assert "mentoring" not in [i.kind for i in build(diagnosis(deficit("c1")), [program("p", ["c1"])]).items]


def test_route_id_is_deterministic_and_stays_a_valid_id():
    assert route_id_for("dx-1") == "route-dx-1"
    long = "dx-" + "a" * 125
    assert route_id_for(long) == route_id_for(long) and len(route_id_for(long)) <= 128
    dx = diagnosis(deficit("c1"), dx=long)
    assert build(dx, []).route_id == route_id_for(long)


def random_catalogue(rng: random.Random, comps: list[str], implemented: float = 1.0) -> list:
    """Up to 10 programs of 1-3 of `comps`, 60 % in the register, a share `implemented` implemented."""
    return [
        program(
            f"p{n}",
            rng.sample(comps, rng.randint(1, 3)),
            hours=rng.choice([8, 16, 36, 72, 108]),
            register=rng.random() < 0.6,
            implemented=implemented == 1.0 or rng.random() < implemented,
        )
        for n in range(rng.randint(0, 10))
    ]


def test_invariants_over_random_catalogues():
    rng = random.Random(20240301)
    comps = [f"c{n}" for n in range(8)]
    for _ in range(300):
        catalogue = random_catalogue(rng, comps)
        deficits = [
            deficit(
                c,
                score=rng.randint(0, 59),
                severity=rng.choice(["moderate", "severe", "critical"]),
                area=rng.choice(["digital", "subject", "management"]),
            )
            for c in rng.sample(comps, rng.randint(1, 6))
        ]
        budget = rng.choice([36, 72, 144])
        route = build(diagnosis(*deficits), catalogue, budget=budget)
        by_id = {p.program_id: p for p in catalogue}
        programs = [i for i in route.items if i.kind == "program"]
        assert route.total_hours == sum(i.hours for i in programs) <= budget
        assert len({i.program_id for i in programs}) == len(programs)
        assert all(set(i.covers) <= set(by_id[i.program_id].competencies) for i in programs)
        covered = [c for i in route.items for c in i.covers]
        assert sorted(covered) == sorted(d.competency for d in deficits)  # each deficit exactly once
        informal = {c for i in route.items if i.kind != "program" for c in i.covers}
        assert informal == set(route.uncovered)
        assert all(i.reason for i in route.items)
        # a register program is never passed over for an outside one that addresses the same deficit
        # (covers[0] is the deficit the program was chosen for): it did not fit the hours left then
        for n, i in enumerate(programs):
            if not i.in_federal_register:
                before = sum(j.hours for j in programs[:n])
                rivals = [
                    p
                    for p in catalogue
                    if p.in_register_on(DAY)
                    and i.covers[0] in p.competencies
                    and p.program_id not in {j.program_id for j in programs[:n]}
                ]
                assert all(before + p.hours > budget for p in rivals)


def test_a_catalogue_indexed_once_gives_the_routes_its_programs_would():
    """The routes service builds routes from its catalogue's `Programs` index, made once per
    catalogue: the same routes as from the programs themselves, in any order."""
    rng = random.Random(20261207)
    comps = [f"c{n}" for n in range(8)]
    for _ in range(200):
        catalogue = random_catalogue(rng, comps, implemented=0.9)
        dx = diagnosis(*(deficit(c, score=rng.randint(0, 59)) for c in rng.sample(comps, rng.randint(1, 5))))
        completed = {p.program_id for p in catalogue if rng.random() < 0.1}
        shuffled = rng.sample(catalogue, len(catalogue))
        assert build(dx, Programs.of(shuffled), completed) == build(dx, catalogue, completed)
    index = Catalogue(programs={"p": program("p", ["c1"]), "q": program("q", ["c1"], implemented=False)}).offered()
    assert [p.program_id for p in index.by_competency["c1"]] == ["p"]
