"""MongoDB store of the live indicator tables (implements TableRepository).

`indicator_tables`: one document per region and date (`_id` = "<region>:<as_of>"), of absolute
values, so recomputing and re-writing a table is idempotent. The values (counts only, no personal
data) are packed into one compressed binary field (`packed`, `rsnms_runtime.mongo.pack`; `rsnms
decode indicators indicator_tables` shows them): FerretDB v1 converts every nested field of a
document, and a region's table of about 2,000 values as a list of objects cost it about 220 ms of
CPU to write and as much to read, at every refresh of a live table (docs/benchmarks/pipeline.md,
session 12). Documents written before hold the list itself under `values`, and are read as well.

A table is replaced whole by `_id` (`replace_one`, upsert): in the embedded FerretDB an `_id`
equality is a lookup in the `_id` index (docs/decisions/ferretdb-id-index.md; before, FerretDB v1
scanned the collection for it, and the tables were deleted and inserted again). Two instances
writing the same table write the same absolute values.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts import IndicatorTable
from rsnms_runtime.mongo import pack, unpack
from services.indicators.domain.labels import INDICATOR_TITLES


def table_id(region: str, as_of: str) -> str:
    return f"{region}:{as_of}"


def table_document(table: IndicatorTable) -> dict[str, Any]:
    """The `$set` of a table's document."""
    doc = table.model_dump(mode="json")
    return {
        **{k: v for k, v in doc.items() if k != "values"},
        "packed": pack(doc["values"]),
        "titles": [{"indicator": k, "title": v} for k, v in INDICATOR_TITLES.items()],
    }


def table_from_document(doc: Mapping[str, Any]) -> IndicatorTable:
    """The table a document holds (packed, or with its values as a list of objects)."""
    values = unpack(doc["packed"]) if "packed" in doc else doc["values"]
    return IndicatorTable.model_validate({**{k: doc[k] for k in ("region", "as_of", "computed_at")}, "values": values})


class MongoTableStore:
    def __init__(self, db: AsyncDatabase):
        self._tables = db["indicator_tables"]

    async def ensure_indexes(self) -> None:
        await self._tables.create_index([("region", 1), ("as_of", -1)])

    async def save(self, table: IndicatorTable) -> None:
        doc = table_document(table)
        doc["_id"] = table_id(table.region, doc["as_of"])
        # two instances inserting the same new table: the other wrote the same absolute values
        with contextlib.suppress(DuplicateKeyError):
            await self._tables.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def get(self, region: str, as_of: str) -> IndicatorTable | None:
        doc = await self._tables.find_one({"_id": table_id(region, as_of)})
        return None if doc is None else table_from_document(doc)
