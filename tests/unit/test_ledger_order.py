"""The processed-events ledger reads a partition back in the order of the marks, also when a mark
is made while a background compaction waits for the database (in memory, with a fake
collection; tests/infra/test_ledger.py runs the ledger against FerretDB)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rsnms_runtime.mongo import ProcessedEvents
from tests.support.journal import FakeCollection

T = "rsnms.test.order"


class Ledger(ProcessedEvents):
    CHUNK = 4
    MAX_DOCS = 4


class Collection(FakeCollection):
    """Filters on `tp`, deletes by `$in`, and runs `during_compaction` once, when a compaction's
    documents are inserted (before they are)."""

    def __init__(self) -> None:
        super().__init__()
        self.during_compaction: Callable[[], Awaitable[None]] | None = None

    async def insert_many(self, docs: list[dict[str, Any]], ordered: bool = True) -> None:
        hook = self.during_compaction
        if hook is not None and any("-c" in d["_id"].removeprefix("chunk-") for d in docs):
            self.during_compaction = None
            await hook()
        await super().insert_many(docs, ordered)

    def find(self, flt: dict[str, Any], batch_size: int = 0) -> Any:
        wanted = flt.get("tp")
        subset = FakeCollection()
        subset.docs = [d for d in self.docs if ("tp" not in d if isinstance(wanted, dict) else d.get("tp") == wanted)]
        return subset.find(flt)

    async def delete_many(self, flt: dict[str, Any]) -> None:
        ids = set(flt["_id"]["$in"])
        self.docs = [d for d in self.docs if d["_id"] not in ids]


class Db(dict):
    def __missing__(self, name: str) -> Collection:
        self[name] = Collection()
        return self[name]


async def test_a_mark_made_during_a_compaction_keeps_its_place_after_the_next_compaction_and_a_reload():
    db = Db()
    ledger = Ledger(db, window=1000)  # type: ignore[arg-type]
    await ledger.assign([(T, 0)])

    async def mark(n: int) -> None:
        await ledger.mark(T, 0, [(f"e{n}", f"h{n}")])

    for n in range(1, 6):  # five small documents: a compaction is due
        await mark(n)
    db["processed_events"].during_compaction = lambda: mark(6)
    await ledger.settled()  # it rewrites e1-e5 as a full document and a small one, e6 marked meanwhile
    await mark(7)
    await mark(8)  # due again: the newest small documents are e8, e7, e6 and e5's
    await ledger.settled()

    reloaded = Ledger(db, window=3)  # type: ignore[arg-type]
    await reloaded.assign([(T, 0)])
    ids = [f"e{n}" for n in range(1, 9)]
    assert await ledger.known(T, 0, ids) == {f"e{n}": f"h{n}" for n in range(1, 9)}
    assert await reloaded.known(T, 0, ids) == {"e6": "h6", "e7": "h7", "e8": "h8"}  # the last three marked
