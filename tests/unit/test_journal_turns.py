"""Reading and writing a journal lets the event loop turn after each document (a national state
takes seconds of CPU to read back: a Kafka consumer's heartbeats run on the same loop), and the
registry's state read back is the latest entry of each entity, whatever the order of reading."""

from __future__ import annotations

from datetime import date

from contracts import EducatorDeparted, EducatorLeft
from rsnms_runtime.journal import Journal
from services.registry.adapters.store import RegistryStore
from services.registry.domain.rules import Stored
from tests.support.factories import educator_registered
from tests.support.journal import FakeDb
from tests.support.loop import turns_during

REGION = "RU-TST"


async def test_the_loop_turns_between_the_documents_written_and_read():
    db = FakeDb()
    journal = Journal(db["j"], chunk=10)
    entries = [{"k": str(n), "seq": 1} for n in range(100)]
    assert await turns_during(lambda: journal.append(entries)) >= 9  # ten documents packed
    assert len(db["j"].docs) == 10

    read: list[dict] = []

    async def read_all() -> None:
        read.extend([e async for e in journal.entries()])

    assert await turns_during(read_all) >= 10
    assert read == entries


async def test_the_registry_reads_back_the_latest_entry_of_each_entity():
    db = FakeDb()
    writer = RegistryStore(db)
    await writer.reload()
    first = educator_registered(REGION, 1)
    second = educator_registered(REGION, 1, revision=2, organization_id="sch-2")
    left = EducatorDeparted.create(
        EducatorLeft(educator_id=first.payload.educator_id, left_on=date(2024, 2, 1)), source="cnppm", region=REGION
    )
    other = educator_registered(REGION, 2)
    await writer.save([(first, Stored(1, "h1"))])
    await writer.save([(second, Stored(2, "h2")), (other, Stored(1, "o1"))])
    await writer.save([(left, Stored(2, "h2", date(2024, 2, 1)))])
    db["facts"].docs.reverse()  # the order of reading does not decide

    reader = RegistryStore(db)
    await reader.reload()
    assert await reader.load([first, other]) == {
        RegistryStore.key(first): Stored(2, "h2", date(2024, 2, 1)),
        RegistryStore.key(other): Stored(1, "o1"),
    }
