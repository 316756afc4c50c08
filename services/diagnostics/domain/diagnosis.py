"""Computing a diagnosis (диагностика профессиональных дефицитов) from a session's scores.

Rules:
- every score must be a finite number in 0..100 and name a competency of the framework,
  otherwise the result is refused (InvalidScore, UnknownCompetency);
- a deficit is a competency of an area that applies to the educator's role whose score is
  *below* its threshold (a score equal to the threshold is no deficit); its severity comes
  from the gap (threshold - score) and the framework's bands;
- a score of a known competency that does not apply to the role (a teacher scored on a
  management competency) is kept in `scores` but is never a deficit;
- a competency of the framework that the session did not score is *not assessed*: it is no
  deficit, and a deficit of the previous diagnosis on it is not closed either;
- when a previous diagnosis exists (kind "repeat", or an "initial" of an educator already
  diagnosed) the diagnosis carries `previous_diagnosis_id`, the growth (score - previous
  score) of every competency scored both times, and `closed_competencies`: previous
  deficits that are applicable, scored again and no longer deficits. A "repeat" without a
  known previous diagnosis is diagnosed like an initial one (no growth, nothing closed).
"""

from __future__ import annotations

import hashlib
import math

from contracts import Deficit, Diagnosis, DiagnosticResult
from services.diagnostics.domain.errors import InvalidScore, UnknownCompetency
from services.diagnostics.domain.framework import Framework

PREFIX = "dx-"
#: the longest id contracts.envelope.ID_PATTERN allows
MAX_ID = 128


def diagnosis_id_for(session_id: str) -> str:
    """`dx-<session id>`: one diagnosis per session, the same on every redelivery. A session id
    too long for that keeps its head and gets a hash of the whole as its tail."""
    plain = PREFIX + session_id
    if len(plain) <= MAX_ID:
        return plain
    digest = hashlib.sha256(session_id.encode()).hexdigest()[:16]
    return f"{plain[: MAX_ID - len(digest) - 1]}-{digest}"


def _check_scores(result: DiagnosticResult, framework: Framework) -> None:
    bad = sorted(c for c, s in result.scores.items() if not (math.isfinite(s) and 0 <= s <= 100))
    if bad:
        raise InvalidScore(f"scores must be numbers from 0 to 100: {', '.join(bad)}")
    unknown = sorted(c for c in result.scores if framework.locate(c) is None)
    if unknown:
        raise UnknownCompetency(f"competencies not in framework {framework.framework_id}: {', '.join(unknown)}")


def deficits_of(result: DiagnosticResult, framework: Framework) -> tuple[Deficit, ...]:
    """Deficits of the session, the largest gap first (then by competency id)."""
    applicable = framework.competencies_for(result.role)
    found = []
    for cid, score in result.scores.items():
        if cid not in applicable:
            continue
        area_id, competency = applicable[cid]
        if score < competency.threshold:
            found.append(
                Deficit(
                    competency=cid,
                    area=area_id,
                    score=score,
                    threshold=competency.threshold,
                    severity=framework.severity.of(competency.threshold - score),
                )
            )
    return tuple(sorted(found, key=lambda d: (d.score - d.threshold, d.competency)))


def _growth(result: DiagnosticResult, previous: Diagnosis) -> dict[str, float]:
    """Score change of every competency scored both times (rounded off float noise)."""
    return {c: round(s - previous.scores[c], 6) for c, s in sorted(result.scores.items()) if c in previous.scores}


def _closed(
    result: DiagnosticResult, framework: Framework, previous: Diagnosis, deficits: tuple[Deficit, ...]
) -> tuple[str, ...]:
    open_now = {d.competency for d in deficits}
    return tuple(
        sorted(
            d.competency
            for d in previous.deficits
            if d.competency in result.scores
            and d.competency not in open_now
            and framework.applies(d.competency, result.role)
        )
    )


def diagnose(result: DiagnosticResult, framework: Framework, previous: Diagnosis | None) -> Diagnosis:
    """The diagnosis of one session; raises a DomainError if the result cannot be diagnosed."""
    if previous is not None and previous.educator_id != result.educator_id:
        raise ValueError("the previous diagnosis belongs to another educator")
    _check_scores(result, framework)
    deficits = deficits_of(result, framework)
    return Diagnosis(
        diagnosis_id=diagnosis_id_for(result.session_id),
        session_id=result.session_id,
        educator_id=result.educator_id,
        role=result.role,
        kind=result.kind,
        diagnosed_on=result.taken_on,
        framework_id=framework.framework_id,
        scores=dict(sorted(result.scores.items())),
        deficits=deficits,
        previous_diagnosis_id=previous.diagnosis_id if previous else None,
        growth=_growth(result, previous) if previous else {},
        closed_competencies=_closed(result, framework, previous, deficits) if previous else (),
        conducted_by=result.conducted_by,
        centre_id=result.centre_id,
    )


def same_session(result: DiagnosticResult, diagnosis: Diagnosis) -> bool:
    """Whether `result` says what the session's stored diagnosis was computed from (a re-sent
    result), as opposed to other content under a session id already used."""
    return (
        result.educator_id == diagnosis.educator_id
        and result.role == diagnosis.role
        and result.kind == diagnosis.kind
        and result.taken_on == diagnosis.diagnosed_on
        and dict(result.scores) == dict(diagnosis.scores)
        and (result.framework_id is None or result.framework_id == diagnosis.framework_id)
    )
