"""Writes the JSON Schemas of the contracts: every event (one discriminated union),
the dead-letter record and the passport snapshot (the document the federal operator reads)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import TypeAdapter

from contracts.codec import AnyEvent
from contracts.deadletter import DeadLetter
from contracts.events.indicators import PassportSnapshot


def write(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    schemas = {
        "events.schema.json": TypeAdapter(AnyEvent).json_schema(),
        "deadletter.schema.json": DeadLetter.model_json_schema(),
        "passport.schema.json": PassportSnapshot.model_json_schema(),
    }
    for name, schema in schemas.items():
        (out / name).write_text(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


if __name__ == "__main__":
    write(Path(sys.argv[1]))
