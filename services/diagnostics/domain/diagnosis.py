"""Computing a diagnosis (диагностика профессиональных дефицитов) from a session's scores.

A deficit is a competency of the framework, applicable to the educator's role, whose
score is below its threshold; its severity grows with the gap. Competencies the session
did not assess are not deficits (not assessed is not failed). A later diagnosis of the
same educator measures the growth since the previous one and which deficits closed; a
"repeat" without a known previous diagnosis is still diagnosed, with no growth.
"""

from __future__ import annotations

from contracts import Deficit, Diagnosis, DiagnosticResult
from services.diagnostics.domain.framework import Framework


class DiagnosisRefused(ValueError):
    """The result cannot be diagnosed with this framework (the reason is the message)."""


def diagnosis_id_for(session_id: str) -> str:
    return f"dx-{session_id}"


def diagnose(result: DiagnosticResult, framework: Framework, previous: Diagnosis | None) -> Diagnosis:
    applicable = framework.competencies_for(result.role)
    unknown = sorted(c for c in result.scores if c not in applicable)
    if unknown:
        known_elsewhere = [c for c in unknown if framework.area_of(c)]
        detail = f" ({', '.join(known_elsewhere)} not assessed for role {result.role})" if known_elsewhere else ""
        raise DiagnosisRefused(f"competencies not in framework {framework.framework_id}: {', '.join(unknown)}{detail}")
    deficits = []
    for cid, score in sorted(result.scores.items()):
        area_id, competency = applicable[cid]
        if score < competency.threshold:
            deficits.append(Deficit(competency=cid, area=area_id, score=score, threshold=competency.threshold,
                                    severity=framework.severity.of(competency.threshold - score)))
    growth: dict[str, float] = {}
    closed: tuple[str, ...] = ()
    if previous is not None:
        growth = {c: round(s - previous.scores[c], 2) for c, s in sorted(result.scores.items()) if c in previous.scores}
        open_now = {d.competency for d in deficits}
        closed = tuple(sorted(d.competency for d in previous.deficits
                              if d.competency in result.scores and d.competency not in open_now))
    return Diagnosis(
        diagnosis_id=diagnosis_id_for(result.session_id), session_id=result.session_id,
        educator_id=result.educator_id, role=result.role, kind=result.kind, diagnosed_on=result.taken_on,
        framework_id=framework.framework_id, scores=dict(sorted(result.scores.items())),
        deficits=tuple(sorted(deficits, key=lambda d: (-(d.threshold - d.score), d.competency))),
        previous_diagnosis_id=previous.diagnosis_id if previous else None, growth=growth, closed_competencies=closed,
    )
