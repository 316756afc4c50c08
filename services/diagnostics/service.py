"""Use case of the diagnostics service: diagnostic results in, `DeficitDiagnosed` out.

Results of one educator arrive in order (partition key), and a batch is processed in
order, so a repeat diagnosis in the same batch sees the initial one. A session already
diagnosed is never diagnosed again: its stored event is re-emitted unchanged.
"""

from __future__ import annotations

from contracts import DeficitDiagnosed, Diagnosis, DiagnosticResultSubmitted
from rsnms_runtime.kafka import Incoming, Outcome
from services.diagnostics.adapters.store import DiagnosisStore
from services.diagnostics.domain.diagnosis import DiagnosisRefused, diagnose, diagnosis_id_for
from services.diagnostics.domain.framework import Framework

SOURCE = "rsnms-diagnostics"


class DiagnosticsService:
    def __init__(self, store: DiagnosisStore, frameworks: dict[str, Framework], default_framework: str):
        self._store = store
        self._frameworks = frameworks
        self._default = default_framework

    def framework_for(self, framework_id: str | None) -> Framework:
        fid = framework_id or self._default
        if fid not in self._frameworks:
            raise DiagnosisRefused(f"unknown competency framework {fid!r}")
        return self._frameworks[fid]

    async def handle(self, batch: list[Incoming]) -> Outcome:
        results = [i for i in batch if isinstance(i.event, DiagnosticResultSubmitted)]
        outcome = Outcome()
        done = await self._store.emitted(diagnosis_id_for(i.event.payload.session_id) for i in results)
        keys = {f"{i.event.region}:{i.event.payload.educator_id}" for i in results}
        histories = await self._store.histories(keys)
        known = await self._store.diagnoses(d for h in histories.values() for _, d in h)
        fresh: list[DeficitDiagnosed] = []
        for inc in results:
            result, region = inc.event.payload, inc.event.region
            dx_id = diagnosis_id_for(result.session_id)
            if dx_id in done:
                outcome.emit.append(done[dx_id])
                continue
            key = f"{region}:{result.educator_id}"
            history = histories.setdefault(key, [])
            previous = self._previous(history, known, result.taken_on.isoformat(), dx_id)
            try:
                diagnosis = diagnose(result, self.framework_for(result.framework_id), previous)
            except DiagnosisRefused as exc:
                outcome.rejected.append((inc, str(exc)))
                continue
            event = DeficitDiagnosed.create(diagnosis, source=SOURCE, region=region)
            done[dx_id] = event
            known[dx_id] = diagnosis
            history.append((diagnosis.diagnosed_on.isoformat(), dx_id))
            fresh.append(event)
            outcome.emit.append(event)
        await self._store.save(fresh)
        return outcome

    @staticmethod
    def _previous(history: list[tuple[str, str]], known: dict[str, Diagnosis], day: str, dx_id: str) -> Diagnosis | None:
        """The educator's latest diagnosis before this one (by date, then id)."""
        earlier = sorted(h for h in history if (h[0], h[1]) < (day, dx_id) and h[1] in known)
        return known[earlier[-1][1]] if earlier else None
