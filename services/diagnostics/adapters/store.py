"""The diagnostics repository: every diagnosis the service made held in memory (as the exact
JSON of the event it emitted, compressed against typical diagnoses of the deployment's
frameworks (`typical_diagnoses`): ~1.4 KB of JSON held in ~0.3 KB, and a national state holds
millions; parsed when a batch needs it) and persisted as an append-only journal
(`rsnms_runtime.journal`, collection `diagnoses`, the JSON as text), one insert per batch.

An entry is a `diagnosis_document` (`adapters/documents.py`: region, educator key, order key,
the event's JSON) with its key `k`. The educators'
latest diagnoses and histories are derived from the diagnoses themselves (the highest order
key per educator), so there is nothing to update in place: a diagnosis is never replaced (the
first entry of a key wins whatever the order the journal is read in), and the latest moves
forward whatever the order of arrival. The journal is read back whole on start and when the
consumer is assigned partitions (`reload`): another instance may have diagnosed their sessions.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import get_args

from pymongo.asynchronous.database import AsyncDatabase

from contracts import DeficitDiagnosed, Diagnosis, DiagnosticResult
from contracts.events.registry import Role
from rsnms_runtime.compression import Packer
from rsnms_runtime.journal import Journal
from rsnms_runtime.logging import get_logger
from services.diagnostics.adapters.documents import diagnosis_document
from services.diagnostics.domain.diagnosis import diagnose
from services.diagnostics.domain.framework import Frameworks
from services.diagnostics.repository import Loaded, diagnosis_key

log = get_logger(__name__)

DIAGNOSES = "diagnoses"


class JournalDiagnosisRepository:
    def __init__(self, db: AsyncDatabase, typical: bytes = b""):
        """`typical`: diagnoses as the service makes them, JSON (`typical_diagnoses`), what the
        held ones are compressed against."""
        self._journal = Journal(db[DIAGNOSES])
        self._packer = Packer(typical)
        #: diagnosis key -> the emitted event's JSON, compressed
        self._events: dict[str, bytes] | None = None
        #: educator key -> [(order key, diagnosis key)]
        self._by_educator: dict[str, list[tuple[str, str]]] = defaultdict(list)

    async def reload(self) -> None:
        """Read the journal back whole (start-up, partitions assigned)."""
        self._events, self._by_educator = {}, defaultdict(list)
        async for e in self._journal.entries():
            self._hold(e)
        log.info("diagnoses_loaded", diagnoses=len(self._events), educators=len(self._by_educator))

    def _hold(self, entry: dict) -> None:
        assert self._events is not None
        if entry["k"] in self._events:
            return
        self._events[entry["k"]] = self._packer.compress(entry["event"].encode())
        self._by_educator[entry["educator_key"]].append((entry["order"], entry["k"]))

    async def _ready(self) -> dict[str, bytes]:
        if self._events is None:
            await self.reload()
        assert self._events is not None
        return self._events

    def _diagnosis(self, key: str) -> Diagnosis:
        assert self._events is not None
        return DeficitDiagnosed.model_validate_json(self._packer.decompress(self._events[key])).payload

    async def load(self, diagnosis_keys: list[str], educator_keys: list[str]) -> Loaded:
        events = await self._ready()
        loaded = Loaded()
        for key in set(diagnosis_keys):
            if key in events:
                loaded.emitted[key] = DeficitDiagnosed.model_validate_json(self._packer.decompress(events[key]))
        for key in set(educator_keys):
            known = self._by_educator.get(key)
            if known:
                loaded.latest[key] = self._diagnosis(max(known)[1])
        return loaded

    async def history(self, educator_keys: list[str]) -> dict[str, list[Diagnosis]]:
        await self._ready()
        return {
            key: [self._diagnosis(k) for _, k in self._by_educator[key]]
            for key in set(educator_keys)
            if self._by_educator.get(key)
        }

    async def save(self, fresh: list[DeficitDiagnosed], latest: list[DeficitDiagnosed]) -> None:
        """Journal the new diagnoses (one insert), then hold them; `latest` follows from them."""
        events = await self._ready()
        entries = []
        for e in fresh:
            key = diagnosis_key(e.region, e.payload.diagnosis_id)
            if key not in events:
                entries.append({"k": key, **diagnosis_document(e)})
        await self._journal.append(entries)
        for entry in entries:
            self._hold(entry)


def typical_diagnoses(frameworks: Frameworks) -> bytes:
    """Diagnoses as the service makes them, as JSON: for each framework and role, every
    competency scored, some below their threshold, then a repeat with growth and closed
    deficits. What the held diagnoses are compressed against (field names, competency ids)."""
    out = []
    for framework in frameworks.by_id.values():
        for role in get_args(Role):
            competencies = sorted(framework.competencies_for(role))
            if not competencies:
                continue
            previous = None
            for n, base in enumerate((41.5, 61.5)):
                scores = {c: base + 9.5 * (i % 4) for i, c in enumerate(competencies)}
                result = DiagnosticResult(
                    session_id=f"s-0123456789ab-{n + 1}",
                    educator_id="ed-0123456789abcdef0123456789abcdef",
                    role=role,
                    kind="repeat" if previous else "initial",
                    taken_on=date(2025, 2, 1),
                    framework_id=framework.framework_id,
                    scores=scores,
                    conducted_by="cnppm",
                )
                try:
                    previous = diagnose(result, framework, previous)
                except ValueError:  # a deployment's framework these scores do not fit: no sample of it
                    break
                out.append(DeficitDiagnosed.create(previous, source="rsnms-diagnostics", region="RU-XXX").to_bytes())
    return b"".join(out)
