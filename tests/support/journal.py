"""An in-memory stand-in for the few collection operations `rsnms_runtime.journal` uses
(unit tests only)."""

from __future__ import annotations

from typing import Any


class FakeCollection:
    """insert_many / find().sort() / count_documents of a journal, in memory."""

    def __init__(self) -> None:
        self.docs: list[dict[str, Any]] = []
        self.inserts = 0

    @property
    def name(self) -> str:
        return "fake"

    async def insert_many(self, docs: list[dict[str, Any]], ordered: bool = True) -> None:
        self.inserts += 1
        self.docs.extend(docs)

    def find(self, flt: dict[str, Any], batch_size: int = 0) -> Any:
        docs = list(self.docs)

        class Cursor:
            def sort(self, key: str, direction: int) -> Any:
                docs.sort(key=lambda d: d[key])
                return self

            def __aiter__(self) -> Any:
                async def gen() -> Any:
                    for d in docs:
                        yield d

                return gen()

        return Cursor()


class FakeDb(dict):
    def __missing__(self, name: str) -> FakeCollection:
        self[name] = FakeCollection()
        return self[name]
