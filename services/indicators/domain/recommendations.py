"""Targeted recommendations (адресные рекомендации, seed 004): rules that turn a round's
analysis into recommendations per municipality and organization, each citing the figures it
rests on. Pure and deterministic: the same analysis gives the same recommendations and ids.

Rules:
- `below_target_municipality`: a municipality misses an indicator's target;
- `below_target_organization`: an organization misses targets (one recommendation listing them);
- `decline`: a municipality's indicator fell by at least 5 percentage points since the previous round;
- `deficit_hotspot`: at least half of a municipality's diagnosed educators (5 or more) share a deficit;
- `uncovered_deficit`: no program of the catalogue addresses a deficit found in a municipality;
- `methodist_load`: a regional methodist carries more educators than the target allows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Literal

from contracts import Recommendation
from contracts.report import BelowTarget, RoundAnalysis
from services.indicators.domain.labels import INDICATOR_TITLES
from services.indicators.domain.russian import number, percent, points

DECLINE = -0.05
HOTSPOT_SHARE = 0.5
HOTSPOT_MIN = 5
ACTIONS: dict[str, str] = {
    "I1": "организовать диагностику профессиональных дефицитов педагогов в ЦНППМ",
    "I2": "обеспечить разработку индивидуальных образовательных маршрутов по результатам диагностики",
    "I3": "направить педагогов на программы из ФР ДПП, подобранные по результатам диагностики",
    "I4": "включить управленческие команды в программы по управлению качеством образования",
    "I5": "закрепить за молодыми педагогами наставников и оформить формы сопровождения",
    "I6": "подготовить программы к включению в ФР ДПП",
    "E1": "увеличить число региональных методистов",
    "E2": "направить сотрудников ЦНППМ на обучение к федеральному оператору",
    "RM": "выполнить просроченные мероприятия дорожной карты",
}


def safe_id(text: str) -> str:
    """An id from parts that may hold characters ids do not allow (e.g. '_')."""
    return re.sub(r"[^A-Za-z0-9.:-]", "-", text)[:128]


def _value(indicator: str, v: float | None) -> str:
    return number(v, 1) if indicator == "E1" else percent(v)


def _rec(
    analysis: RoundAnalysis,
    rule: str,
    kind: Literal["region", "municipality", "organization"],
    sid: str,
    suffix: str,
    text: str,
    figures: Mapping[str, float],
) -> Recommendation:
    return Recommendation(
        recommendation_id=safe_id(f"{analysis.round_id}:v{analysis.version}:{rule}:{sid}:{suffix}"),
        round_id=analysis.round_id,
        version=analysis.version,
        scope_kind=kind,
        scope_id=sid,
        rule=rule,
        text=text,
        figures=dict(figures),
    )


def recommend(
    analysis: RoundAnalysis, competency_titles: Mapping[str, str] | None = None
) -> tuple[Recommendation, ...]:
    titles = competency_titles or {}
    out: list[Recommendation] = []
    by_org: dict[str, list[BelowTarget]] = defaultdict(list)
    for b in analysis.below_target:
        if b.scope_kind == "organization":
            by_org[b.scope_id].append(b)
            continue
        title = INDICATOR_TITLES.get(b.indicator, b.indicator)
        out.append(
            _rec(
                analysis,
                "below_target_municipality",
                "municipality",
                b.scope_id,
                b.indicator,
                f"Муниципалитет {b.scope_id}: показатель {b.indicator} «{title}» составляет "
                f"{_value(b.indicator, b.value)} ({number(b.numerator, 0)} из {number(b.denominator, 0)}) "
                f"при целевом значении {_value(b.indicator, b.target)}. Рекомендуется {ACTIONS.get(b.indicator, 'принять меры')}.",
                {"numerator": b.numerator, "denominator": b.denominator, "value": b.value or 0.0, "target": b.target},
            )
        )
    for org, misses in sorted(by_org.items()):
        listed = "; ".join(
            f"{b.indicator} — {_value(b.indicator, b.value)} ({number(b.numerator, 0)} из {number(b.denominator, 0)}), "
            f"цель {_value(b.indicator, b.target)}"
            for b in misses
        )
        figures: dict[str, float] = {}
        for b in misses:
            figures |= {
                f"{b.indicator}_numerator": b.numerator,
                f"{b.indicator}_denominator": b.denominator,
                f"{b.indicator}_target": b.target,
            }
        out.append(
            _rec(
                analysis,
                "below_target_organization",
                "organization",
                org,
                "all",
                f"Организация {org}: ниже целевых значений — {listed}. Рекомендуется "
                + "; ".join(ACTIONS.get(b.indicator, "принять меры") for b in misses)
                + ".",
                figures,
            )
        )
    for x in analysis.deltas:
        if x.scope_kind != "municipality" or x.change is None or x.change > DECLINE or x.indicator == "E1":
            continue
        out.append(
            _rec(
                analysis,
                "decline",
                "municipality",
                x.scope_id,
                x.indicator,
                f"Муниципалитет {x.scope_id}: показатель {x.indicator} снизился с {percent(x.before.value if x.before else None)} "
                f"до {percent(x.after.value if x.after else None)} ({points(x.change)}) по сравнению с предыдущим туром. "
                f"Рекомендуется проанализировать причины и {ACTIONS.get(x.indicator, 'принять меры')}.",
                {
                    "before": x.before.value or 0.0 if x.before else 0.0,
                    "after": x.after.value or 0.0 if x.after else 0.0,
                    "change": x.change,
                },
            )
        )
    for c in analysis.deficit_map:
        if c.share >= HOTSPOT_SHARE and c.diagnosed >= HOTSPOT_MIN:
            name = titles.get(c.competency, c.competency)
            out.append(
                _rec(
                    analysis,
                    "deficit_hotspot",
                    "municipality",
                    c.municipality_id,
                    c.competency,
                    f"Муниципалитет {c.municipality_id}: дефицит по компетенции «{name}» у {percent(c.share)} "
                    f"прошедших диагностику педагогов ({number(c.educators, 0)} из {number(c.diagnosed, 0)}). "
                    f"Рекомендуется организовать через ММС адресное методическое сопровождение по этой компетенции.",
                    {"educators": c.educators, "diagnosed": c.diagnosed, "share": c.share},
                )
            )
    for u in analysis.uncovered:
        name = titles.get(u.competency, u.competency)
        out.append(
            _rec(
                analysis,
                "uncovered_deficit",
                "municipality",
                u.municipality_id,
                u.competency,
                f"Муниципалитет {u.municipality_id}: у {number(u.educators, 0)} педагогов выявлен дефицит по компетенции "
                f"«{name}», которую не охватывает ни одна программа каталога. В ИРО направлена заявка на разработку программы.",
                {"educators": u.educators},
            )
        )
    e1 = next((x for x in analysis.deltas if x.indicator == "E1" and x.scope_kind == "region" and x.after), None)
    target = 250.0
    if e1 is not None and analysis.max_methodist_load > target:
        out.append(
            _rec(
                analysis,
                "methodist_load",
                "region",
                analysis.region,
                "E1",
                f"Наибольшая нагрузка регионального методиста — {number(analysis.max_methodist_load, 0)} педагогов "
                f"при допустимых {number(target, 0)}. Рекомендуется {ACTIONS['E1']}.",
                {"max_load": analysis.max_methodist_load, "target": target},
            )
        )
    return tuple(out)
