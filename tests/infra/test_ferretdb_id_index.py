"""The embedded FerretDB finds documents by `_id` through the `_id` index.

FerretDB v1.24's SQLite backend declares the `_id_` index on `_ferretdb_sjson->"_id"` and queries
`_ferretdb_sjson->'$._id'`, so SQLite never used it: every find, update and delete by `_id` read the
whole table. deploy/local/ferretdb/idindex.go rebuilds each `_id_` index on the queried expression
(docs/decisions/ferretdb-id-index.md). Checked in the database file itself, with SQLite's own plan
for the statement FerretDB runs; and the index still refuses a duplicate `_id`."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

pytestmark = pytest.mark.infra


def _id_index_and_plan(database: Path, collection: str) -> tuple[str, str]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        (table,) = db.execute("SELECT table_name FROM _ferretdb_collections WHERE name = ?", (collection,)).fetchone()
        (sql,) = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (f"{table}__id_",)
        ).fetchone()
        plan = db.execute(
            f"EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM \"{table}\" WHERE _ferretdb_sjson->'$._id' = ?",
            ('"x"',),
        ).fetchall()
    return sql, " ".join(str(row[-1]) for row in plan)


async def test_lookups_by_id_use_the_id_index_of_a_new_collection(infra, prefix):
    client: AsyncMongoClient = AsyncMongoClient(infra.mongodb)
    db_name = f"{prefix}_idindex"
    collection = client[db_name]["ledger"]
    await collection.insert_many([{"_id": f"doc-{i}", "n": i} for i in range(50)])
    database = Path(infra.env["RSNMS_STACK_DIR"]) / "ferretdb" / f"{db_name}.sqlite"
    try:
        for _ in range(100):  # it is checked every second
            sql, plan = _id_index_and_plan(database, "ledger")
            if "'$._id'" in sql:
                break
            await asyncio.sleep(0.1)
        assert "CREATE UNIQUE INDEX" in sql and "'$._id'" in sql, sql
        assert "USING INDEX" in plan and "SCAN" not in plan, plan

        with pytest.raises(DuplicateKeyError):
            await collection.insert_one({"_id": "doc-7"})
        assert [i["name"] async for i in await collection.list_indexes()] == ["_id_"]
        await collection.delete_one({"_id": "doc-7"})
        assert await collection.find_one({"_id": "doc-8"}) == {"_id": "doc-8", "n": 8}
        assert await collection.count_documents({}) == 49
    finally:
        await client.drop_database(db_name)
        await client.close()
