"""Use case of the diagnostics service: `DiagnosticResultSubmitted` in, `DeficitDiagnosed` out
(on Topic.DEFICITS, in the region of the input, source "rsnms-diagnostics").

A batch is read once (sessions already diagnosed, the educators' latest diagnoses), processed
in arrival order (results of one educator share a partition, so a repeat in the same batch
sees the initial one) and written once.

At-least-once delivery: a session already diagnosed is never diagnosed again. Its stored event
is re-emitted unchanged (the service may have stopped after storing and before publishing),
and it still counts as the educator's latest if it is. The same session id arriving with other
content (educator, role, kind, date, framework or scores) is refused; so are results with an
unknown framework, unknown competencies or scores outside 0..100. Refusals go to the
dead-letter topic with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from contracts import DeficitDiagnosed, Diagnosis, DiagnosticResult, DiagnosticResultSubmitted
from rsnms_runtime.kafka import Incoming, Outcome
from services.diagnostics.domain.diagnosis import diagnose, diagnosis_id_for, same_session
from services.diagnostics.domain.errors import DomainError, SessionConflict
from services.diagnostics.domain.framework import Frameworks
from services.diagnostics.domain.history import needs_history, order_key, order_of, previous_of
from services.diagnostics.repository import DiagnosisRepository, Loaded, diagnosis_key, educator_key

SOURCE = "rsnms-diagnostics"


@dataclass(frozen=True)
class _Item:
    incoming: Incoming
    result: DiagnosticResult
    region: str

    @property
    def dkey(self) -> str:
        return diagnosis_key(self.region, diagnosis_id_for(self.result.session_id))

    @property
    def ekey(self) -> str:
        return educator_key(self.region, self.result.educator_id)

    @property
    def order(self) -> str:
        return order_key(self.result.taken_on, self.result.session_id)


@dataclass
class _Batch:
    """The state of one batch while it is processed."""

    emitted: dict[str, DeficitDiagnosed]
    #: educator key -> the diagnoses known (the latest, the history if read, this batch's)
    known: dict[str, list[Diagnosis]]
    fresh: list[DeficitDiagnosed] = field(default_factory=list)
    #: educator key -> the latest diagnosis seen in this batch (stored or new)
    newest: dict[str, DeficitDiagnosed] = field(default_factory=dict)

    def remember(self, ekey: str, event: DeficitDiagnosed) -> None:
        known = self.known.setdefault(ekey, [])
        if all(d.diagnosis_id != event.payload.diagnosis_id for d in known):
            known.append(event.payload)
        if ekey not in self.newest or order_of(event.payload) > order_of(self.newest[ekey].payload):
            self.newest[ekey] = event


def conflict_reason(result: DiagnosticResult, stored: Diagnosis) -> str:
    return (
        f"session {result.session_id} was already diagnosed as {stored.diagnosis_id} from other results "
        "(educator, role, kind, date, framework or scores differ); a corrected assessment needs a new session id"
    )


class DiagnosticsService:
    """The use case; `handle` is the batch handler given to the runtime's consumer."""

    def __init__(self, repository: DiagnosisRepository, frameworks: Frameworks):
        self._repo = repository
        self._frameworks = frameworks

    async def handle(self, batch: list[Incoming]) -> Outcome:
        outcome = Outcome()
        items = [
            _Item(i, i.event.payload, i.event.region) for i in batch if isinstance(i.event, DiagnosticResultSubmitted)
        ]
        if not items:
            return outcome
        loaded = await self._repo.load(sorted({i.dkey for i in items}), sorted({i.ekey for i in items}))
        state = _Batch(emitted=dict(loaded.emitted), known={k: [d] for k, d in loaded.latest.items()})
        late = self._late_educators(items, loaded)
        if late:
            for ekey, diagnoses in (await self._repo.history(late)).items():
                state.known[ekey] = diagnoses
        for item in items:
            self._apply(item, state, outcome)
        moved = [
            e
            for k, e in state.newest.items()
            if k not in loaded.latest or order_of(e.payload) > order_of(loaded.latest[k])
        ]
        await self._repo.save(state.fresh, moved)
        return outcome

    @staticmethod
    def _late_educators(items: Iterable[_Item], loaded: Loaded) -> list[str]:
        """Educators with a new result older than a diagnosis known before it (their history is read)."""
        sessions: dict[str, list[str]] = {}
        for item in items:
            if item.dkey not in loaded.emitted:
                sessions.setdefault(item.ekey, []).append(item.order)
        return sorted(
            k
            for k, orders in sessions.items()
            if needs_history(order_of(loaded.latest[k]) if k in loaded.latest else None, orders)
        )

    def _apply(self, item: _Item, state: _Batch, outcome: Outcome) -> None:
        result = item.result
        stored = state.emitted.get(item.dkey)
        if stored is not None:
            if not same_session(result, stored.payload):
                outcome.rejected.append((item.incoming, str(SessionConflict(conflict_reason(result, stored.payload)))))
                return
            outcome.emit.append(stored)
            state.remember(item.ekey, stored)
            return
        try:
            framework = self._frameworks.resolve(result.framework_id)
            diagnosis = diagnose(result, framework, previous_of(state.known.get(item.ekey, ()), item.order))
        except DomainError as exc:
            outcome.rejected.append((item.incoming, str(exc)))
            return
        event = DeficitDiagnosed.create(diagnosis, source=SOURCE, region=item.region)
        state.emitted[item.dkey] = event
        state.fresh.append(event)
        outcome.emit.append(event)
        state.remember(item.ekey, event)
