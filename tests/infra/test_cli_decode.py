"""`rsnms decode` reads a service's journal from the real FerretDB and prints its packed entries
decoded: the processed-events ledger, written by the runtime itself."""

from __future__ import annotations

import json

import pytest
from pymongo import AsyncMongoClient

from rsnms_runtime.mongo import ProcessedEvents
from tests.infra.test_cli import rsnms

pytestmark = pytest.mark.infra


def _documents(out: str) -> list[dict]:
    decoder, docs, at = json.JSONDecoder(), [], 0
    while at < len(out.rstrip()):
        doc, at = decoder.raw_decode(out, at)
        docs.append(doc)
        while at < len(out) and out[at].isspace():
            at += 1
    return docs


async def test_decode_lists_collections_and_shows_packed_ledger_entries(infra, prefix):
    client: AsyncMongoClient = AsyncMongoClient(infra.mongodb)
    db = client[f"{prefix}_registry"]
    entries = [("ev-1", "c2:aaa"), ("ev-2", "c2:bbb")]
    try:
        await ProcessedEvents(db).mark("rsnms.registry.submitted", 0, entries)
        listing = await rsnms(infra, prefix, "decode", "registry")
        shown = await rsnms(infra, prefix, "decode", "registry", "processed_events")
        missing = await rsnms(infra, prefix, "decode", "registry", "processed_events", "no-such-id")
    finally:
        await client.drop_database(f"{prefix}_registry")
        await client.close()
    assert listing.returncode == 0 and "processed_events\t1" in listing.stdout, listing.stdout + listing.stderr
    assert shown.returncode == 0, shown.stderr
    (doc,) = _documents(shown.stdout)
    assert doc["count"] == 2 and doc["packed"] == {"$packed": [["ev-1", "ev-2"], ["c2:aaa", "c2:bbb"]]}
    assert missing.returncode == 1 and "no document" in missing.stderr


async def test_decode_shows_a_routes_file_journaled_beside_its_entries(infra, prefix):
    """A routes file is journaled as the compressed JSON its store holds (`mongo.Blob`): the real
    FerretDB keeps it beside the packed entries, the store reads it back into the same file, and
    an operator sees it decoded."""
    from services.routes.adapters.store import RoutesStore
    from services.routes.domain.educator import EducatorFile

    client: AsyncMongoClient = AsyncMongoClient(infra.mongodb)
    db = client[f"{prefix}_routes"]
    files = [EducatorFile(region="RU-YEV", educator_id=f"ed-{n}") for n in range(3)]
    try:
        await RoutesStore(db).save_files(files)
        (stored,) = [doc async for doc in db["journal"].find({})]
        read = await RoutesStore(db).files([f"RU-YEV:ed-{n}" for n in range(3)])
        shown = await rsnms(infra, prefix, "decode", "routes", "journal")
    finally:
        await client.drop_database(f"{prefix}_routes")
        await client.close()
    assert set(stored) == {"_id", "at", "count", "packed", "blobs"}
    assert read == {f"RU-YEV:{f.educator_id}": f for f in files}
    assert shown.returncode == 0, shown.stderr
    (doc,) = _documents(shown.stdout)
    entries = doc["packed"]["$packed"]
    assert [e["file"]["$packed"]["educator_id"] for e in entries] == ["ed-0", "ed-1", "ed-2"]
    assert doc["blobs"] == {"$bytes": len(stored["blobs"])}
