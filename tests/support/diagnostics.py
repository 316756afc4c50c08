"""Builders for the diagnostics service's unit tests: results, incoming events, the default
framework, and an in-memory repository with the DiagnosisRepository interface."""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts import DeficitDiagnosed, Diagnosis, DiagnosticResult, DiagnosticResultSubmitted
from rsnms_runtime.kafka import Incoming
from services.diagnostics.config import load_frameworks
from services.diagnostics.domain.history import order_of
from services.diagnostics.repository import Loaded, diagnosis_key, educator_key
from services.diagnostics.service import DiagnosticsService

R = "RU-TST"
ED = "ed-" + "a" * 32
ED2 = "ed-" + "b" * 32
DAY = date(2024, 3, 1)
LATER = date(2024, 9, 1)

FRAMEWORKS = load_frameworks()
FW = FRAMEWORKS.by_id[FRAMEWORKS.default_id]


def threshold(competency: str) -> float:
    found = FW.locate(competency)
    assert found is not None, competency
    return found[2].threshold


def result(
    scores: dict[str, float],
    *,
    session: str = "s1",
    role: str = "teacher",
    kind: str = "initial",
    day: date = DAY,
    educator: str = ED,
    framework: str | None = None,
) -> DiagnosticResult:
    return DiagnosticResult(
        session_id=session,
        educator_id=educator,
        role=role,
        kind=kind,
        taken_on=day,
        framework_id=framework,
        scores=scores,
        conducted_by="cnppm",
    )


def submitted(r: DiagnosticResult, region: str = R) -> DiagnosticResultSubmitted:
    return DiagnosticResultSubmitted.create(r, source="test", region=region)


def incoming(*results: DiagnosticResult | DiagnosticResultSubmitted, region: str = R) -> list[Incoming]:
    events = [r if isinstance(r, DiagnosticResultSubmitted) else submitted(r, region) for r in results]
    return [Incoming(e, "rsnms.diagnostics.results", 0, n, e.to_bytes()) for n, e in enumerate(events)]


class FakeRepository:
    """In memory, with the MongoDiagnosisRepository semantics: insert-if-missing diagnoses,
    latest pointers that only move forward. Counts the calls."""

    def __init__(self) -> None:
        self.events: dict[str, DeficitDiagnosed] = {}
        self.latest: dict[str, Diagnosis] = {}
        self.calls: dict[str, int] = {"load": 0, "history": 0, "save": 0}
        self.saved: list[tuple[list[DeficitDiagnosed], list[DeficitDiagnosed]]] = []
        #: set to make the next save fail after storing the diagnoses (a crash between the writes)
        self.crash_before_latest = False

    async def load(self, diagnosis_keys: list[str], educator_keys: list[str]) -> Loaded:
        self.calls["load"] += 1
        return Loaded(
            emitted={k: self.events[k] for k in diagnosis_keys if k in self.events},
            latest={k: self.latest[k] for k in educator_keys if k in self.latest},
        )

    async def history(self, educator_keys: list[str]) -> dict[str, list[Diagnosis]]:
        self.calls["history"] += 1
        found: dict[str, list[Diagnosis]] = {}
        for e in self.events.values():
            key = educator_key(e.region, e.payload.educator_id)
            if key in educator_keys:
                found.setdefault(key, []).append(e.payload)
        return found

    async def save(self, fresh: list[DeficitDiagnosed], latest: list[DeficitDiagnosed]) -> None:
        self.calls["save"] += 1
        self.saved.append((list(fresh), list(latest)))
        for e in fresh:
            self.events.setdefault(diagnosis_key(e.region, e.payload.diagnosis_id), e)
        if self.crash_before_latest:
            self.crash_before_latest = False
            raise ConnectionError("stopped between the two writes")
        for e in latest:
            key = educator_key(e.region, e.payload.educator_id)
            if key not in self.latest or order_of(e.payload) > order_of(self.latest[key]):
                self.latest[key] = e.payload


def service(repo: FakeRepository | None = None) -> tuple[DiagnosticsService, FakeRepository]:
    repo = repo or FakeRepository()
    return DiagnosticsService(repo, FRAMEWORKS), repo


def dump(events: list[Any]) -> list[str]:
    return [e.model_dump_json() for e in events]
