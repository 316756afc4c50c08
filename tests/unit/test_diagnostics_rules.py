"""Diagnosis rules: thresholds, severity bands, roles, refused results, not-assessed
competencies, growth and closed deficits on re-diagnosis, deterministic ids."""

from __future__ import annotations

import math
import re

import pytest

from contracts.envelope import ID_PATTERN
from services.diagnostics.domain.diagnosis import diagnose, diagnosis_id_for, same_session
from services.diagnostics.domain.errors import DomainError, InvalidScore, UnknownCompetency
from services.diagnostics.domain.framework import SeverityBands
from tests.support.diagnostics import ED2, FW, LATER, result, threshold


def test_a_score_equal_to_the_threshold_is_no_deficit_and_just_below_is():
    t, u = threshold("digital_platforms"), threshold("digital_content")
    dx = diagnose(result({"digital_platforms": t, "digital_content": u - 0.1}), FW, None)
    [deficit] = dx.deficits
    assert (deficit.competency, deficit.area, deficit.threshold) == ("digital_content", "digital", u)
    assert deficit.score == pytest.approx(u - 0.1) and deficit.severity == "moderate"


def test_scores_above_every_threshold_give_no_deficit():
    dx = diagnose(result(dict.fromkeys(FW.competencies_for("teacher"), 100)), FW, None)
    assert dx.deficits == () and len(dx.scores) == 12


@pytest.mark.parametrize(
    ("gap", "severity"),
    [(0.5, "moderate"), (14.9, "moderate"), (15, "severe"), (29.9, "severe"), (30, "critical"), (55, "critical")],
)
def test_severity_bands_of_the_default_framework(gap, severity):
    t = threshold("psych_motivation")
    [deficit] = diagnose(result({"psych_motivation": t - gap}), FW, None).deficits
    assert deficit.severity == severity


def test_severity_bands_are_configurable():
    strict = FW.model_copy(update={"severity": SeverityBands(severe_from=5, critical_from=10)})
    t = threshold("psych_motivation")
    got = [diagnose(result({"psych_motivation": t - g}), strict, None).deficits[0].severity for g in (4, 5, 10)]
    assert got == ["moderate", "severe", "critical"]


def test_management_competencies_are_deficits_of_managers_only():
    low = {"management_quality": 10.0, "subject_knowledge": 90.0}
    teacher = diagnose(result(low, role="teacher"), FW, None)
    assert teacher.deficits == () and teacher.scores["management_quality"] == 10.0  # kept, never a deficit
    manager = diagnose(result(low, role="manager"), FW, None)
    assert [(d.competency, d.area, d.severity) for d in manager.deficits] == [
        ("management_quality", "management", "critical")
    ]


def test_an_unknown_competency_refuses_the_result_and_names_it():
    with pytest.raises(UnknownCompetency, match=r"not in framework ps-teacher-2024: juggling, knitting"):
        diagnose(result({"knitting": 50, "juggling": 50, "digital_platforms": 80}), FW, None)


@pytest.mark.parametrize("bad", [-0.1, 100.5, math.nan, math.inf])
def test_a_score_outside_0_to_100_refuses_the_result(bad):
    with pytest.raises(InvalidScore, match="digital_safety"):
        diagnose(result({"digital_safety": bad, "digital_platforms": 80}), FW, None)


def test_refusals_are_domain_errors_without_the_educator():
    with pytest.raises(DomainError) as refused:
        diagnose(result({"juggling": 1}), FW, None)
    assert "ed-" not in str(refused.value)


def test_competencies_not_scored_are_not_assessed_not_deficits():
    dx = diagnose(result({"subject_knowledge": 90}), FW, None)
    assert dx.deficits == () and set(dx.scores) == {"subject_knowledge"}


def test_deficits_are_ordered_by_gap_then_id():
    dx = diagnose(
        result({"digital_platforms": 40, "digital_content": 30, "digital_safety": 40, "subject_knowledge": 90}),
        FW,
        None,
    )
    assert [d.competency for d in dx.deficits] == ["digital_content", "digital_platforms", "digital_safety"]


def initial():
    return diagnose(
        result({"digital_platforms": 40, "digital_content": 30, "psych_motivation": 50, "subject_knowledge": 90}),
        FW,
        None,
    )


def test_a_repeat_measures_growth_and_closes_the_deficits_no_longer_below():
    first = initial()
    again = diagnose(
        result(
            {"digital_platforms": 75, "digital_content": 41, "subject_knowledge": 88.2, "digital_safety": 70},
            session="s2",
            kind="repeat",
            day=LATER,
        ),
        FW,
        first,
    )
    assert again.previous_diagnosis_id == first.diagnosis_id == "dx-s1"
    assert again.growth == {"digital_content": 11.0, "digital_platforms": 35.0, "subject_knowledge": -1.8}
    assert again.closed_competencies == ("digital_platforms",)
    assert [d.competency for d in again.deficits] == ["digital_content"]


def test_a_previous_deficit_not_assessed_again_is_not_closed():
    again = diagnose(result({"digital_platforms": 75}, session="s2", kind="repeat", day=LATER), FW, initial())
    assert again.closed_competencies == ("digital_platforms",)  # psych_motivation, digital_content: not assessed
    assert set(again.growth) == {"digital_platforms"}


def test_a_deficit_of_a_competency_no_longer_applicable_is_not_closed():
    manager = diagnose(result({"management_team": 20}, role="manager"), FW, None)
    teacher = diagnose(result({"management_team": 80}, session="s2", day=LATER), FW, manager)
    assert teacher.closed_competencies == () and teacher.growth == {"management_team": 60.0}


def test_a_repeat_without_a_previous_diagnosis_is_diagnosed_with_no_growth():
    dx = diagnose(result({"digital_platforms": 40}, kind="repeat"), FW, None)
    assert dx.kind == "repeat" and dx.previous_diagnosis_id is None and dx.growth == {}
    assert dx.closed_competencies == () and len(dx.deficits) == 1


def test_an_initial_session_of_an_educator_already_diagnosed_also_measures_growth():
    dx = diagnose(result({"digital_platforms": 65}, session="s2", day=LATER), FW, initial())
    assert dx.kind == "initial" and dx.previous_diagnosis_id == "dx-s1" and dx.growth == {"digital_platforms": 25.0}


def test_the_previous_diagnosis_must_be_the_same_educators():
    with pytest.raises(ValueError, match="another educator"):
        diagnose(result({"digital_platforms": 65}, session="s2", educator=ED2), FW, initial())


def test_diagnosis_ids_are_deterministic_and_always_valid_ids():
    assert diagnosis_id_for("s-42") == "dx-s-42"
    long_a, long_b = "a" * 127 + "1", "a" * 127 + "2"
    ids = {diagnosis_id_for(long_a), diagnosis_id_for(long_b)}
    assert len(ids) == 2 and all(re.match(ID_PATTERN, i) and len(i) == 128 for i in ids)
    assert diagnosis_id_for(long_a) == diagnosis_id_for(long_a)
    dx = diagnose(result({"digital_platforms": 40}, session=long_a), FW, None)
    assert dx.diagnosis_id == diagnosis_id_for(long_a)


def test_same_session_recognises_a_resent_result_and_not_other_content():
    r = result({"digital_platforms": 40})
    dx = diagnose(r, FW, None)
    assert same_session(r, dx) and same_session(result({"digital_platforms": 40}, framework=FW.framework_id), dx)
    assert not same_session(result({"digital_platforms": 41}), dx)
    assert not same_session(result({"digital_platforms": 40}, educator=ED2), dx)
    assert not same_session(result({"digital_platforms": 40}, kind="repeat"), dx)
    assert not same_session(result({"digital_platforms": 40}, day=LATER), dx)
    assert not same_session(result({"digital_platforms": 40}, framework="other-fw"), dx)
