"""What the diagnostics use case needs from persistence (the port), and the keys it uses.

Everything is scoped by region, like the other services' stores: a session id or an
educator id of one region never reaches another region's diagnoses.
- diagnosis key `<region>:<diagnosis id>`: the stored diagnosis of a session and the event
  emitted for it (re-emitted as is on redelivery);
- educator key `<region>:<educator id>`: the educator's latest diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from contracts import DeficitDiagnosed, Diagnosis


def diagnosis_key(region: str, diagnosis_id: str) -> str:
    return f"{region}:{diagnosis_id}"


def educator_key(region: str, educator_id: str) -> str:
    return f"{region}:{educator_id}"


@dataclass
class Loaded:
    """What one batch reads before it is processed."""

    #: diagnosis key -> the event emitted for that session
    emitted: dict[str, DeficitDiagnosed] = field(default_factory=dict)
    #: educator key -> the educator's latest diagnosis
    latest: dict[str, Diagnosis] = field(default_factory=dict)


class DiagnosisRepository(Protocol):
    """JournalDiagnosisRepository in production, an in-memory fake in the unit tests."""

    async def load(self, diagnosis_keys: list[str], educator_keys: list[str]) -> Loaded:
        """The sessions already diagnosed and the educators' latest diagnoses (one read per batch)."""
        ...

    async def history(self, educator_keys: list[str]) -> dict[str, list[Diagnosis]]:
        """Every stored diagnosis of these educators (read only for results that arrive late)."""
        ...

    async def save(self, fresh: list[DeficitDiagnosed], latest: list[DeficitDiagnosed]) -> None:
        """Store new diagnoses with their events (never replacing a stored one), then move the
        educators' latest pointers forward to `latest` (never backwards). One write each."""
        ...
