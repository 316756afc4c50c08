"""The embedded FerretDB's log stays readable: no WARN pair for every client that closes.

MongoDB drivers send `endSessions` when a client closes; FerretDB v1 does not implement it and
logged its error reply as two WARN lines each time. deploy/local/ferretdb/main.go drops exactly
those; other failed commands are still logged."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure

pytestmark = pytest.mark.infra


async def test_closing_clients_logs_no_end_sessions_warning_but_other_failures_still_show(infra):
    log = Path(infra.env["RSNMS_STACK_DIR"]) / "logs" / "ferretdb.log"
    start = log.stat().st_size
    for _ in range(3):
        client: AsyncMongoClient = AsyncMongoClient(infra.mongodb)
        await client.admin.command("ping")
        with pytest.raises(OperationFailure):
            await client.admin.command("rsnmsNoSuchCommand")
        await client.close()

    for _ in range(50):
        written = log.read_bytes()[start:].decode(errors="replace")
        if written.count("rsnmsNoSuchCommand") >= 3:
            break
        await asyncio.sleep(0.1)
    assert written.count("rsnmsNoSuchCommand") >= 3, written[-2000:]
    assert "endSessions" not in written
