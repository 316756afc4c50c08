"""MongoDB store of monitoring rounds, their frozen versions, late events, passport decisions,
section submissions and the diagnoses the analysis reads (database `<prefix>_indicators`).

FerretDB-v1 safe: `_id`s are composed strings, insert-only documents except a round's closure
(one single-document `$set`), contract dumps kept whole under one field, no nested arrays
(scores are a list of objects), no keys taken from ids.

- `rounds`: `<region>:<round id>` -> the declaration, then the closure;
- `round_versions`: `<region>:<round id>:<version>`, immutable; a racing writer of the same
  version loses and takes the next one;
- `round_heads`: `<region>:<round id>:<version>` -> the Kafka positions of each version, small
  and insert-only; the latest of a round is its head, what late detection reads every second (a
  version holds the whole frozen table: reading every version each second cost FerretDB a quarter
  of a core on an idle platform); set from the versions for a round that has none;
- `round_analyses`: the analysis and recommendations of each version (same `_id`);
- `round_late`: `<region>:<round id>:<topic>:<partition>:<offset>`: events late for a closed round,
  until a version includes them (the version keeps them as `late_events`);
- `passport_decisions`: `<region>:<round id>:<sequence>`, the passport's status changes in order;
- `passport_submissions`: `<region>:<round id>:<submission id>` with the signing system;
- `analysis_diagnoses`: `<region>:<diagnosis id>`: what the deficit map and effectiveness need.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from contracts import (
    KafkaPosition,
    LateEvent,
    PassportStatusChange,
    Recommendation,
    RoundClosure,
    RoundDeclaration,
    RoundVersion,
    SectionSubmission,
)
from contracts.report import RoundAnalysis
from rsnms_runtime.mongo import delete_ids
from services.indicators.domain.analysis import DiagnosisFact
from services.indicators.domain.sections import Submitted

DUPLICATE_KEY = 11000


def _ignore_duplicates(exc: BulkWriteError) -> None:
    if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
        raise exc


class MongoRoundsStore:
    def __init__(self, db: AsyncDatabase):
        self._rounds = db["rounds"]
        self._versions = db["round_versions"]
        self._heads = db["round_heads"]
        self._analyses = db["round_analyses"]
        self._late = db["round_late"]
        self._decisions = db["passport_decisions"]
        self._submissions = db["passport_submissions"]
        self._diagnoses = db["analysis_diagnoses"]

    async def ensure_indexes(self) -> None:
        await self._rounds.create_index([("region", ASCENDING)])
        await self._versions.create_index([("region", ASCENDING), ("round_id", ASCENDING)])
        await self._late.create_index([("region", ASCENDING)])
        await self._decisions.create_index([("region", ASCENDING), ("round_id", ASCENDING)])
        await self._submissions.create_index([("region", ASCENDING), ("round_id", ASCENDING)])
        await self._diagnoses.create_index([("region", ASCENDING)])

    # rounds ---------------------------------------------------------------------------------

    async def declare(self, region: str, declaration: RoundDeclaration) -> bool:
        try:
            await self._rounds.insert_one(
                {
                    "_id": f"{region}:{declaration.round_id}",
                    "region": region,
                    "round_id": declaration.round_id,
                    "declaration": declaration.model_dump(mode="json"),
                    "closure": None,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def close(self, region: str, closure: RoundClosure) -> None:
        await self._rounds.update_one(
            {"_id": f"{region}:{closure.round_id}"}, {"$set": {"closure": closure.model_dump(mode="json")}}
        )

    @staticmethod
    def _round(doc: dict[str, Any]) -> tuple[RoundDeclaration, RoundClosure | None]:
        closure = doc.get("closure")
        return RoundDeclaration.model_validate(doc["declaration"]), (
            RoundClosure.model_validate(closure) if closure else None
        )

    async def round(self, region: str, round_id: str) -> tuple[RoundDeclaration, RoundClosure | None] | None:
        doc = await self._rounds.find_one({"_id": f"{region}:{round_id}"})
        return self._round(doc) if doc else None

    async def rounds(self, region: str | None = None) -> list[tuple[str, RoundDeclaration, RoundClosure | None]]:
        query = {"region": region} if region else {}
        out = []
        async for doc in self._rounds.find(query):
            declaration, closure = self._round(doc)
            out.append((doc["region"], declaration, closure))
        return sorted(out, key=lambda r: (r[0], r[1].reporting_date, r[1].round_id))

    # versions -------------------------------------------------------------------------------

    async def add_version(self, version: RoundVersion) -> bool:
        """Insert a new version (False: that number is taken) and its positions, the round's new head."""
        try:
            await self._versions.insert_one(
                {
                    "_id": f"{version.region}:{version.round_id}:{version.version}",
                    "region": version.region,
                    "round_id": version.round_id,
                    "version": version.version,
                    "reporting_date": version.reporting_date.isoformat(),
                    "doc": version.model_dump(mode="json"),
                }
            )
        except DuplicateKeyError:
            return False
        await self.add_head(version.region, version.round_id, version.version, version.kafka_positions)
        return True

    async def add_head(self, region: str, round_id: str, version: int, positions: Sequence[KafkaPosition]) -> None:
        """Record the positions of the round's version `version` (insert-only: FerretDB v1 does
        not apply a conditional update atomically, and racing writers of a later and an earlier
        version could leave the earlier one behind)."""
        with contextlib.suppress(DuplicateKeyError):  # the same version's positions are the same
            await self._heads.insert_one(
                {
                    "_id": f"{region}:{round_id}:{version}",
                    "region": region,
                    "round_id": round_id,
                    "version": version,
                    "positions": [p.model_dump(mode="json") for p in positions],
                }
            )

    async def heads(self) -> dict[tuple[str, str], tuple[int, list[KafkaPosition]]]:
        """(region, round id) -> the number and positions of the round's latest version."""
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        async for d in self._heads.find({}):
            key = (d["region"], d["round_id"])
            if key not in latest or d["version"] > latest[key]["version"]:
                latest[key] = d
        return {
            key: (d["version"], [KafkaPosition.model_validate(p) for p in d["positions"]]) for key, d in latest.items()
        }

    async def versions(self, region: str, round_id: str) -> list[RoundVersion]:
        docs = [d async for d in self._versions.find({"region": region, "round_id": round_id})]
        return sorted((RoundVersion.model_validate(d["doc"]) for d in docs), key=lambda v: v.version)

    async def version_numbers(self, region: str) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        async for d in self._versions.find({"region": region}, projection={"round_id": 1, "version": 1}):
            out.setdefault(d["round_id"], []).append(d["version"])
        return {k: sorted(v) for k, v in out.items()}

    async def add_analysis(
        self, region: str, analysis: RoundAnalysis, recommendations: Sequence[Recommendation]
    ) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self._analyses.insert_one(
                {
                    "_id": f"{region}:{analysis.round_id}:{analysis.version}",
                    "analysis": analysis.model_dump(mode="json"),
                    "recommendations": [r.model_dump(mode="json") for r in recommendations],
                }
            )

    async def analysis(
        self, region: str, round_id: str, version: int
    ) -> tuple[RoundAnalysis, list[Recommendation]] | None:
        doc = await self._analyses.find_one({"_id": f"{region}:{round_id}:{version}"})
        if doc is None:
            return None
        return RoundAnalysis.model_validate(doc["analysis"]), [
            Recommendation.model_validate(r) for r in doc["recommendations"]
        ]

    # late events ----------------------------------------------------------------------------

    async def add_late(self, items: Sequence[tuple[str, str, LateEvent]]) -> None:
        """(region, round id, late event), idempotent."""
        if not items:
            return
        docs = [
            {
                "_id": f"{region}:{round_id}:{late.topic}:{late.partition}:{late.offset}",
                "region": region,
                "round_id": round_id,
                "late": late.model_dump(mode="json"),
            }
            for region, round_id, late in items
        ]
        try:
            await self._late.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            _ignore_duplicates(exc)

    async def late(self, region: str | None = None) -> list[tuple[str, str, LateEvent]]:
        query = {"region": region} if region else {}
        return [(d["region"], d["round_id"], LateEvent.model_validate(d["late"])) async for d in self._late.find(query)]

    async def drop_late(self, items: Sequence[tuple[str, str, LateEvent]]) -> None:
        """Forget late events a version now includes."""
        await delete_ids(
            self._late, [f"{region}:{round_id}:{x.topic}:{x.partition}:{x.offset}" for region, round_id, x in items]
        )

    # passport -------------------------------------------------------------------------------

    async def decisions(self, region: str, round_id: str) -> list[PassportStatusChange]:
        docs = [d async for d in self._decisions.find({"region": region, "round_id": round_id})]
        return sorted((PassportStatusChange.model_validate(d["change"]) for d in docs), key=lambda c: c.sequence)

    async def add_decision(self, region: str, change: PassportStatusChange) -> bool:
        try:
            await self._decisions.insert_one(
                {
                    "_id": f"{region}:{change.round_id}:{change.sequence}",
                    "region": region,
                    "round_id": change.round_id,
                    "sequence": change.sequence,
                    "change": change.model_dump(mode="json"),
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def add_submission(self, region: str, submission: SectionSubmission, source: str) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self._submissions.insert_one(
                {
                    "_id": f"{region}:{submission.round_id}:{submission.submission_id}",
                    "region": region,
                    "round_id": submission.round_id,
                    "source": source,
                    "received_at": datetime.now(UTC).isoformat(),
                    "submission": submission.model_dump(mode="json"),
                }
            )

    async def submissions(self, region: str, round_id: str) -> list[Submitted]:
        docs = [d async for d in self._submissions.find({"region": region, "round_id": round_id})]
        docs.sort(key=lambda d: (d["received_at"], d["_id"]))
        return [
            Submitted(SectionSubmission.model_validate(d["submission"]), d["source"], i) for i, d in enumerate(docs)
        ]

    # diagnoses ------------------------------------------------------------------------------

    async def add_diagnoses(self, items: Sequence[tuple[str, DiagnosisFact]]) -> None:
        if not items:
            return
        docs = [
            {
                "_id": f"{region}:{x.diagnosis_id}",
                "region": region,
                "educator_id": x.educator_id,
                "diagnosis_id": x.diagnosis_id,
                "diagnosed_on": x.diagnosed_on.isoformat(),
                "scores": [{"c": c, "s": s} for c, s in sorted(x.scores.items())],
                "deficits": sorted(x.deficits),
            }
            for region, x in items
        ]
        try:
            await self._diagnoses.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            _ignore_duplicates(exc)

    async def diagnoses(self, region: str) -> list[DiagnosisFact]:
        return [
            DiagnosisFact(
                educator_id=d["educator_id"],
                diagnosis_id=d["diagnosis_id"],
                diagnosed_on=date.fromisoformat(d["diagnosed_on"]),
                scores={x["c"]: x["s"] for x in d["scores"]},
                deficits=frozenset(d["deficits"]),
            )
            async for d in self._diagnoses.find({"region": region})
        ]
