"""Diagnostics rules: thresholds, severity, roles, unknown competencies, growth on re-diagnosis,
and redelivery re-emitting the identical event."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import DiagnosticResult, DiagnosticResultSubmitted
from rsnms_runtime.kafka import Incoming
from services.diagnostics.domain.diagnosis import DiagnosisRefused, diagnose
from services.diagnostics.frameworks import DEFAULT_FRAMEWORK_ID, load_frameworks
from services.diagnostics.service import DiagnosticsService

FW = load_frameworks()[DEFAULT_FRAMEWORK_ID]
ED = "ed-" + "a" * 32


def result(scores, role="teacher", session="s1", kind="initial", day=date(2024, 3, 1), framework=None):
    return DiagnosticResult(session_id=session, educator_id=ED, role=role, kind=kind, taken_on=day,
                            scores=scores, framework_id=framework)


def threshold(cid: str) -> float:
    return FW.area_of(cid)[1].competencies[cid].threshold


def test_score_equal_to_threshold_is_no_deficit_below_is():
    t = threshold("digital_platforms")
    dx = diagnose(result({"digital_platforms": t, "digital_content": threshold("digital_content") - 0.5}), FW, None)
    assert [d.competency for d in dx.deficits] == ["digital_content"]
    assert dx.deficits[0].score == threshold("digital_content") - 0.5 and dx.deficits[0].area == "digital"


@pytest.mark.parametrize(("gap", "severity"), [(1, "moderate"), (14.9, "moderate"), (15, "severe"),
                                               (29.9, "severe"), (30, "critical"), (60, "critical")])
def test_severity_bands(gap, severity):
    t = threshold("psych_motivation")
    assert diagnose(result({"psych_motivation": t - gap}), FW, None).deficits[0].severity == severity


def test_management_competencies_only_for_managers():
    with pytest.raises(DiagnosisRefused, match="management_quality not assessed for role teacher"):
        diagnose(result({"management_quality": 10}), FW, None)
    dx = diagnose(result({"management_quality": 10}, role="manager"), FW, None)
    assert dx.deficits[0].competency == "management_quality" and dx.deficits[0].severity == "critical"


def test_unknown_competency_is_refused_with_its_name():
    with pytest.raises(DiagnosisRefused, match="juggling"):
        diagnose(result({"juggling": 50, "digital_platforms": 80}), FW, None)


def test_repeat_measures_growth_and_closed_deficits_and_orders_by_gap():
    first = diagnose(result({"digital_platforms": 40, "digital_content": 30, "subject_knowledge": 90}), FW, None)
    assert [d.competency for d in first.deficits] == ["digital_content", "digital_platforms"]  # gaps 25, 20
    again = diagnose(result({"digital_platforms": 75, "digital_content": 41, "subject_knowledge": 88},
                            session="s2", kind="repeat", day=date(2024, 9, 1)), FW, first)
    assert again.previous_diagnosis_id == first.diagnosis_id
    assert again.growth == {"digital_content": 11.0, "digital_platforms": 35.0, "subject_knowledge": -2.0}
    assert again.closed_competencies == ("digital_platforms",)
    assert [d.competency for d in again.deficits] == ["digital_content"]


class FakeStore:
    def __init__(self):
        self.events = {}
        self.hist: dict[str, list] = {}

    async def emitted(self, ids):
        return {i: self.events[i] for i in ids if i in self.events}

    async def histories(self, keys):
        return {k: list(self.hist[k]) for k in keys if k in self.hist}

    async def diagnoses(self, ids):
        return {i: self.events[i].payload for i in ids if i in self.events}

    async def save(self, events):
        for e in events:
            self.events[e.payload.diagnosis_id] = e
            self.hist.setdefault(f"{e.region}:{e.payload.educator_id}", []).append(
                (e.payload.diagnosed_on.isoformat(), e.payload.diagnosis_id))


def incoming(*results):
    events = [DiagnosticResultSubmitted.create(r, source="assessment-platform", region="RU-TST") for r in results]
    return [Incoming(e, "rsnms.diagnostics.results", 0, n, e.to_bytes()) for n, e in enumerate(events)]


async def test_use_case_repeat_in_same_batch_sees_initial_and_redelivery_reemits_identically():
    service = DiagnosticsService(FakeStore(), {FW.framework_id: FW}, FW.framework_id)
    batch = incoming(result({"digital_platforms": 40}),
                     result({"digital_platforms": 70}, session="s2", kind="repeat", day=date(2024, 9, 1)),
                     result({"juggling": 1}, session="s3"))
    out = await service.handle(batch)
    assert [e.payload.diagnosis_id for e in out.emit] == ["dx-s1", "dx-s2"]
    assert out.emit[1].payload.closed_competencies == ("digital_platforms",)
    assert len(out.rejected) == 1 and "juggling" in out.rejected[0][1]
    again = await service.handle(batch[:2])
    assert again.emit == out.emit  # same ids, same content, same occurred_at: stored, not recomputed


async def test_unknown_framework_is_refused():
    service = DiagnosticsService(FakeStore(), {FW.framework_id: FW}, FW.framework_id)
    out = await service.handle(incoming(result({"digital_platforms": 40}, framework="other-fw")))
    assert out.emit == [] and "unknown competency framework 'other-fw'" in out.rejected[0][1]
