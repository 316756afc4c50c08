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
