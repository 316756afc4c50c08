"""The pure parts of monitoring rounds: late events and versions, the passport's life, section
submissions and completeness, the analysis, recommendations, the report and Russian formats."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts import (
    AssociationsRow,
    ContractError,
    Deficit,
    DeficitDiagnosed,
    Diagnosis,
    FinancingSection,
    IndicatorValue,
    InternshipSiteRow,
    InternshipSitesSection,
    KafkaPosition,
    MethodicalAssociationsSection,
    MmsStaffRow,
    MmsStaffSection,
    PassportAccepted,
    PassportApproved,
    PassportDecision,
    PassportReturned,
    PassportSent,
    SectionSubmission,
    decode_event,
)
from services.indicators.domain import analysis as an
from services.indicators.domain.passport import build_passport
from services.indicators.domain.passport_lifecycle import TransitionRefused, decide, status_of
from services.indicators.domain.recommendations import recommend
from services.indicators.domain.report import build_report
from services.indicators.domain.rounds import ClosedRound, changes, covered, dated, late_for, late_reason
from services.indicators.domain.russian import day, number, percent, points
from services.indicators.domain.sections import SubmissionRefused, Submitted, validate, with_submissions
from tests.support.indicators import R, done, ed, ev, left, org, program, reg, route, state_of

D1, D2 = date(2023, 12, 31), date(2024, 12, 31)


def value(indicator: str, kind: str, sid: str, num: int, den: int, target: float | None = None) -> IndicatorValue:
    v = num / den if den else None
    met = None if target is None or v is None else v >= target
    return IndicatorValue(
        indicator=indicator,  # type: ignore[arg-type]
        scope_kind=kind,  # type: ignore[arg-type]
        scope_id=sid,
        numerator=num,
        denominator=den,
        value=v,
        target=target,
        target_met=met,
    )


def diagnosis(n: int, on: date, scores: dict[str, float], deficits: set[str], dxid: str | None = None):
    return ev(
        DeficitDiagnosed,
        Diagnosis(
            diagnosis_id=dxid or f"dx-{n}-{on.isoformat()}",
            session_id=f"s{n}{on.toordinal()}",
            educator_id=ed(n),
            role="teacher",
            kind="initial",
            diagnosed_on=on,
            framework_id="fw",
            scores=scores,
            deficits=tuple(
                Deficit(competency=c, area="a", score=scores[c], threshold=60, severity="severe")
                for c in sorted(deficits)
            ),
            conducted_by="cnppm",
        ),
    )


def fact(event) -> an.DiagnosisFact:
    p = event.payload
    return an.DiagnosisFact(
        p.educator_id, p.diagnosis_id, p.diagnosed_on, dict(p.scores), frozenset(d.competency for d in p.deficits)
    )


# -- late events and versions ---------------------------------------------------------------


def test_an_event_is_dated_by_its_payload_else_by_when_it_occurred():
    assert dated(reg(1, on=date(2021, 5, 4))) == date(2021, 5, 4)
    assert dated(left(1, date(2022, 1, 1))) == date(2022, 1, 1)
    undated = program("p1")
    assert dated(undated) == undated.occurred_at.date()


def test_late_means_dated_on_or_before_the_reporting_date_and_not_included_in_the_latest_version():
    r = ClosedRound(R, "2023-2", D1, {("facts", 0): 10})
    early, later = reg(1, on=date(2023, 6, 1)), reg(2, on=date(2024, 6, 1))
    assert late_for([r], early, "facts", 0, 9) == []  # included in the version
    [(found, item)] = late_for([r], early, "facts", 0, 10)
    assert found is r and item.dated == date(2023, 6, 1) and item.event_type == "EducatorRegistered"
    assert late_for([r], later, "facts", 0, 11) == []  # dated after the round
    assert late_for([r], reg(3, region="RU-OTH", on=date(2023, 1, 1)), "facts", 0, 12) == []
    assert covered(item, {("facts", 0): 11}) and not covered(item, {("facts", 0): 10})
    assert "EducatorRegistered: 1" in late_reason(D1, [item], 2) and "31.12.2023" in late_reason(D1, [item], 2)


def test_changes_name_the_values_that_differ_between_versions():
    before = [value("I1", "region", R, 1, 2), value("I2", "region", R, 0, 2)]
    after = [value("I1", "region", R, 1, 3), value("I2", "region", R, 0, 2), value("I1", "municipality", "m1", 1, 3)]
    found = {(c.indicator, c.scope_kind): (c.before, c.after) for c in changes(before, after)}
    assert found == {("I1", "region"): ((1, 2), (1, 3)), ("I1", "municipality"): (None, (1, 3))}


# -- the passport's life --------------------------------------------------------------------


def decision(cls, n: int, on: date, source: str, *remarks: str):
    payload = PassportDecision(
        round_id="2024-2", decision_id=f"d{n}", decided_on=on, signed_by="minister", remarks=remarks
    )
    return cls.create(payload, source=source, region=R)


def test_the_passport_goes_approve_send_return_send_accept():
    history = []
    steps = [
        (PassportApproved, "roiv", ()),
        (PassportSent, "roiv", ()),
        (PassportReturned, "federal-operator", ("Нет раздела",)),
        (PassportSent, "roiv", ()),
        (PassportAccepted, "federal-operator", ()),
    ]
    for n, (cls, source, remarks) in enumerate(steps, 1):
        history.append(decide(history, decision(cls, n, date(2025, 1, n), source, *remarks), round_closed=True))
    assert [h.status for h in history] == ["approved", "sent", "returned", "sent", "accepted"]
    assert [h.sequence for h in history] == [1, 2, 3, 4, 5]
    assert history[2].remarks == ("Нет раздела",) and history[2].decided_by == "federal-operator"
    assert status_of(history) == "accepted" and status_of([]) == "draft"


@pytest.mark.parametrize(
    ("prior", "cls", "closed", "reason"),
    [
        ([], PassportSent, True, "невозможно в статусе «черновик»"),
        ([PassportApproved], PassportAccepted, True, "в статусе «утверждён регионом»"),
        ([], PassportApproved, False, "тур мониторинга не закрыт"),
    ],
)
def test_a_decision_out_of_order_is_refused_with_the_reason(prior, cls, closed, reason):
    history = [decide([], decision(c, 0, date(2025, 1, 1), "roiv"), True) for c in prior]
    with pytest.raises(TransitionRefused, match=reason):
        decide(history, decision(cls, 9, date(2025, 2, 1), "roiv"), closed)


def test_a_decision_dated_before_the_previous_one_is_refused():
    history = [decide([], decision(PassportApproved, 1, date(2025, 3, 1), "roiv"), True)]
    with pytest.raises(TransitionRefused, match="раньше предыдущего решения"):
        decide(history, decision(PassportSent, 2, date(2025, 2, 1), "roiv"), True)


def test_a_return_without_remarks_is_invalid_at_decoding():
    raw = (
        decision(PassportReturned, 1, date(2025, 1, 1), "federal-operator", "x")
        .to_bytes()
        .replace(b'"remarks":["x"]', b'"remarks":[]')
    )
    with pytest.raises(ContractError, match="at least one remark"):
        decode_event(raw)


# -- sections ---------------------------------------------------------------------------------


def submitted(data, n: int = 1, source: str = "roiv", on: date = D2) -> Submitted:
    s = SectionSubmission(round_id="2024-2", submission_id=f"s{n}", submitted_on=on, signed_by="head", data=data)
    return Submitted(s, source, n)


ORGS = {"s1": "m1", "s2": "m2", "site-1": "m1"}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            MmsStaffSection(year=2024, municipalities=(MmsStaffRow(municipality_id="m1", staff=3, trained=5),)),
            "обучено 5",
        ),
        (
            MmsStaffSection(year=2024, municipalities=(MmsStaffRow(municipality_id="m9", staff=3, trained=1),)),
            "m9 не известен",
        ),
        (
            MmsStaffSection(year=2026, municipalities=(MmsStaffRow(municipality_id="m1", staff=3, trained=1),)),
            "год 2026",
        ),
        (
            MethodicalAssociationsSection(
                municipalities=(
                    AssociationsRow(municipality_id="m1", associations=1, members=3),
                    AssociationsRow(municipality_id="m1", associations=1, members=3),
                )
            ),
            "указан дважды: m1",
        ),
        (
            InternshipSitesSection(
                sites=(
                    InternshipSiteRow(
                        organization_id="site-1", municipality_id="m2", topic="ФГОС", educators_trained=4
                    ),
                )
            ),
            "находится в муниципалитете m1",
        ),
    ],
)
def test_a_submission_that_contradicts_the_region_is_refused_in_russian(data, reason):
    with pytest.raises(SubmissionRefused, match=reason):
        validate(submitted(data).submission, D2, set(ORGS.values()), ORGS)


def test_a_submission_for_an_undeclared_round_is_refused():
    data = FinancingSection(year=2024, regional_budget_rub=1, federal_budget_rub=0, extrabudgetary_rub=0)
    with pytest.raises(SubmissionRefused, match="не объявлен"):
        validate(submitted(data).submission, None, set(), {})


@pytest.mark.parametrize(
    ("field", "bad"), [("regional_budget_rub", -1), ("year", 1999), ("correlation", 1.5), ("section", "salaries")]
)
def test_a_value_of_the_wrong_type_or_range_is_refused_by_the_contract(field, bad):
    from contracts import PassportSectionSubmitted, StudentsResultsSection

    if field == "correlation":
        data = StudentsResultsSection(year=2024, assessment="ВПР", correlation=0.5, schools=10, method="Пирсон")
    else:
        data = FinancingSection(year=2024, regional_budget_rub=1, federal_budget_rub=0, extrabudgetary_rub=0)
    event = PassportSectionSubmitted.create(submitted(data).submission, source="roiv", region=R)
    raw = event.model_dump(mode="json")
    raw["payload"]["data"][field] = bad
    import json

    with pytest.raises(ContractError) as caught:
        decode_event(json.dumps(raw))
    assert caught.value.kind == "invalid" and (field in caught.value.detail or "section" in caught.value.detail)


def test_the_passport_shows_what_was_submitted_and_how_complete_each_section_is():
    state = state_of([org("s1", muni="m1"), org("s2", muni="m2"), reg(1)])
    document = build_passport(state, D2, [], [], ("Сайт: https://edu.gov.ru/",))
    money = FinancingSection(year=2024, regional_budget_rub=100.5, federal_budget_rub=50, extrabudgetary_rub=0)
    half = MethodicalAssociationsSection(
        municipalities=(AssociationsRow(municipality_id="m1", associations=2, members=9),)
    )
    newer = FinancingSection(year=2024, regional_budget_rub=200, federal_budget_rub=0, extrabudgetary_rub=0)
    filled = with_submissions(
        document, [submitted(money, 1), submitted(half, 2), submitted(newer, 3)], {"m1", "m2"}, set()
    )
    by = {c.section: c for c in filled.completeness}
    assert filled.financing.figures["total_rub"] == 200  # the latest submission of a section wins
    assert by["financing"].status == "complete" and by["financing"].submitted_by == "roiv"
    assert by["methodical_associations"].status == "partial" and by["methodical_associations"].completeness == 0.5
    assert by["mms_staff"].status == "missing" and filled.mms_staff is not None and filled.mms_staff.note
    assert by["information_resources"].source == "configuration" and by["information_resources"].status == "partial"
    assert by["students_results"].status == "missing" and filled.students_results.note
    assert by["staff"].source == "events" and by["indicators"].completeness == 1.0
    assert len(filled.completeness) == 12


# -- analysis, recommendations, report ---------------------------------------------------------


def region():
    """Two municipalities; educator 1 completes p1 (covering c) between two diagnoses, educator 2
    has the same deficit and no program; competency z has no program at all."""
    events = [
        org("s1", muni="m1"),
        org("s2", muni="m2"),
        program("p1"),
        reg(1, org="s1", muni="m1"),
        reg(2, org="s1", muni="m1"),
        reg(3, org="s2", muni="m2"),
        reg(4, org="s2", muni="m2", on=date(2025, 1, 1)),  # not yet registered on D2
        route(1),
        done(1, "p1", date(2024, 6, 1)),
    ]
    dxs = [
        diagnosis(1, date(2024, 3, 1), {"c": 40, "z": 70}, {"c"}),
        diagnosis(1, date(2024, 9, 1), {"c": 70, "z": 50}, {"z"}),
        diagnosis(2, date(2024, 3, 1), {"c": 40, "z": 50}, {"c", "z"}),
        diagnosis(2, date(2024, 9, 1), {"c": 45, "z": 52}, {"c", "z"}),
        diagnosis(3, date(2024, 4, 1), {"c": 90, "z": 30}, {"z"}),
    ]
    return state_of(events + dxs), [fact(x) for x in dxs]


def test_the_deficit_map_uncovered_deficits_and_effectiveness():
    state, dxs = region()
    cells = {
        (c.municipality_id, c.competency): (c.educators, c.diagnosed, c.share) for c in an.deficit_map(state, dxs, D2)
    }
    assert cells == {("m1", "c"): (1, 2, 0.5), ("m1", "z"): (2, 2, 1.0), ("m2", "z"): (1, 1, 1.0)}
    gaps = an.uncovered(state, an.deficit_map(state, dxs, D2), D2)
    assert {(u.competency, u.municipality_id, u.educators) for u in gaps} == {("z", "m1", 2), ("z", "m2", 1)}
    [effect] = an.effectiveness(state, dxs, D2)
    assert (effect.program_id, effect.completers, effect.pairs, effect.mean_growth, effect.closed_share) == (
        "p1",
        1,
        1,
        30.0,
        1.0,
    )
    assert (effect.comparison_pairs, effect.comparison_mean_growth, effect.comparison_closed_share) == (1, 5.0, 0.0)
    # as of a date before the second diagnoses there is no pair yet
    assert an.effectiveness(state, dxs, date(2024, 8, 1)) == ()


def analysed() -> an.RoundAnalysis:
    state, dxs = region()
    previous = an.Previous("2023-2", D1, [value("I1", "municipality", "m1", 0, 2, 0.2)])
    current = [value("I1", "municipality", "m1", 1, 2, 0.6), value("I1", "organization", "s2", 0, 1, 0.6)]
    return an.analyse(
        round_id="2024-2",
        version=1,
        state=state,
        diagnoses=dxs,
        current=current,
        reporting_date=D2,
        previous=previous,
        plan=an.Volumes({"routes": 10}),
    )


def test_deltas_below_target_volumes_and_roadmap_items():
    result = analysed()
    [delta] = [x for x in result.deltas if x.scope_id == "m1"]
    assert (delta.before.numerator, delta.after.numerator, delta.change) == (0, 1, 0.5)
    assert [(b.indicator, b.scope_id) for b in result.below_target] == [("I1", "m1"), ("I1", "s2")]
    volumes = {v.measure: (v.planned, v.actual) for v in result.volumes}
    assert volumes == {"routes": (10, 1), "trained": (None, 1), "management_teams": (None, 0)}


def test_recommendations_cite_their_figures_and_the_report_is_russian():
    result = analysed()
    recs = recommend(result)
    assert {r.rule for r in recs} == {"below_target_municipality", "below_target_organization", "uncovered_deficit"}
    below = next(r for r in recs if r.rule == "below_target_municipality")
    assert below.figures == {"numerator": 1, "denominator": 2, "value": 0.5, "target": 0.6}
    assert "50,0\u00a0%" in below.text and "60,0\u00a0%" in below.text and below.scope_id == "m1"
    assert recommend(result) == recs, "deterministic"
    from contracts import PassportDocument, RoundVersion

    state, _ = region()
    passport: PassportDocument = build_passport(state, D2, [], [], ())
    version = RoundVersion(
        round_id="2024-2",
        region=R,
        version=1,
        title="Мониторинг 2024",
        reporting_date=D2,
        schedule="semiannual",
        frozen_at=datetime(2025, 1, 5, tzinfo=UTC),
        reason="Тур закрыт.",
        indicators=(value("I1", "region", R, 12345, 20000, 0.2),),
        passport=passport,
        kafka_positions=(KafkaPosition(topic="rsnms.registry.facts", partition=0, offset=123456),),
    )
    report = build_report(version, result, recs, "sent", (), datetime(2025, 1, 6, tzinfo=UTC))
    assert [s.key for s in report.sections][-1] == "recommendations" and report.sections[-1].recommendations == recs
    [row] = report.sections[1].tables[0].rows
    assert row[2:5] == ("12\u00a0345", "20\u00a0000", "61,7\u00a0%")
    assert "31.12.2024" in report.subtitle and "123\u00a0456" in report.sections[0].paragraphs[3]
    assert "направлен федеральному оператору" in report.sections[0].paragraphs[2]


def test_russian_number_and_date_formats():
    assert number(12345.6) == "12\u00a0345,6" and number(1234567, 0) == "1\u00a0234\u00a0567" and number(None) == "—"
    assert (
        percent(0.25) == "25,0\u00a0%"
        and points(-0.052) == "−5,2\u00a0п.\u00a0п."
        and points(0.1) == "+10,0\u00a0п.\u00a0п."
    )
    assert day(date(2026, 12, 5)) == "05.12.2026"


def test_a_passport_without_submissions_says_which_sections_are_missing():
    document = build_passport(state_of([org("s1", muni="m1"), reg(1)]), D2, [], [], ())
    by = {c.section: c for c in document.completeness}
    assert len(by) == 12 and by["staff"].status == "complete"
    missing = {k for k, c in by.items() if c.status == "missing"}
    assert missing == {
        "financing",
        "students_results",
        "information_resources",
        "mms_staff",
        "methodical_associations",
        "internship_sites",
    }
    assert all(by[k].note for k in missing) and document.internship_sites and document.internship_sites.note
