"""The routes service's state: every educator file and the regions' catalogues, held in memory
and persisted as an append-only journal (`rsnms_runtime.journal`, collection `journal`), one
insert per batch whatever the size of the region.

Entries (`t` = kind):
- `file`: one educator file after a batch (`k` = "<region>:<educator id>", `seq` = the file's
  write count, the file as its compressed JSON (a `mongo.Blob`, stored beside the packed
  entries; older entries: `{"$zlib": <base64>}`, or its JSON as text), and its region, active
  methodist and mentor for the load counts). The file is the entry with the highest `seq`,
  whatever the order of reading.
- `program`, `staff`: a catalogue fact (`k` = "<region>:<id>", `revision`, `data`); the highest
  revision wins whatever the order of arrival.
- `left`: a support staff member's departure (`k` = "<region>:<staff id>", `data.left_on`); the
  earliest date wins whatever the order of arrival.

Files are held as their JSON compressed (`HeldFile`: a national state is about a million
files, docs/benchmarks/pipeline.md), once enough were written against a dictionary trained on
them (`Learning`), journaled compressed without one (`mongo.Blob`; entries written before hold
them in base64, or the JSON as text) and parsed for each batch that touches them, so a failed
batch leaves the held state untouched (the service's fold mutates what it gets). The journal is
read back whole on start and when the consumer is assigned partitions (`reload`: another
instance may have written their files), and rewritten as the current state when it holds more
than twice as many entries (`compact`). `routes(region)` gives the read view
of every route of a region (status, history, items with their status) for operators and tests.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

import pydantic_core
from pymongo.asynchronous.database import AsyncDatabase

from contracts import ProgramRecorded, StaffLeft, SupportStaffRecorded
from contracts.envelope import TEXT_CHECKED
from rsnms_runtime.compression import Packer, compress, decompress
from rsnms_runtime.journal import Journal
from rsnms_runtime.logging import get_logger
from rsnms_runtime.mongo import Blob, compressed_bytes
from services.routes.domain.educator import Catalogue, EducatorFile, Loads

log = get_logger(__name__)
#: a journal is compacted on reload when it holds more than this many entries per live one
COMPACT_RATIO = 2
COMPACT_MIN_DOCUMENTS = 20


def file_key(region: str, educator_id: str) -> str:
    return f"{region}:{educator_id}"


def catalogue_document(item: ProgramRecorded | SupportStaffRecorded | StaffLeft) -> dict:
    """A catalogue entry's fields: its revision (a departure has none: 1) and the fact itself."""
    return {"revision": getattr(item, "revision", 1), "data": item.model_dump(mode="json")}


def route_view(file: EducatorFile) -> list[dict]:
    """The read view of the routes of one educator file."""
    views = []
    for r in file.routes:
        route = r.route.model_dump(mode="json")
        items = [{**item, "status": file.item_status(r, item["item_id"])} for item in route.pop("items")]
        views.append(
            {
                **route,
                "_id": r.route.route_id,
                "region": file.region,
                "status": r.status,
                "history": [h.model_dump(mode="json") for h in r.history],
                "items": items,
                "enrolled": list(r.enrolled),
            }
        )
    return views


def file_entry(file: EducatorFile, seq: int) -> dict[str, Any]:
    """The journal entry of a file after a batch (its `seq`-th write)."""
    return HeldFile.made(file, seq).entry(file_key(file.region, file.educator_id))


class HeldFile(NamedTuple):
    """A file as the state holds it: what the load counts need, and its JSON compressed, plainly
    or against a dictionary trained on the files written before it (`packer`)."""

    seq: int
    region: str
    methodist: str | None
    mentor: str | None
    packed: bytes
    packer: Packer | None = None

    @classmethod
    def made(cls, file: EducatorFile, seq: int, packer: Packer | None = None, text: bytes | None = None) -> HeldFile:
        """A file a batch wrote (`text`: its JSON, when made already)."""
        active = file.active_route()
        text = pydantic_core.to_json(file) if text is None else text
        return cls(
            seq,
            sys.intern(file.region),
            _interned(active.route.methodist_id if active else None),
            _interned(file.support.mentor_id if file.support else None),
            compress(text) if packer is None else packer.compress(text),
            packer,
        )

    @classmethod
    def of(cls, entry: dict[str, Any]) -> HeldFile:
        """A file's journal entry read back (its JSON compressed, or as text: older entries)."""
        packed = compressed_bytes(entry["file"])
        return cls(
            entry["seq"],
            sys.intern(entry["region"]),
            _interned(entry["methodist"]),
            _interned(entry["mentor"]),
            compress(entry["file"].encode()) if packed is None else packed,
        )

    def text(self) -> bytes:
        return decompress(self.packed) if self.packer is None else self.packer.decompress(self.packed)

    def json(self) -> str:
        return self.text().decode()

    def file(self) -> EducatorFile:
        """The file parsed back; its texts were checked for control characters when the events
        they came from were read, so not again."""
        return EducatorFile.model_validate_json(self.text(), context={TEXT_CHECKED: True})

    def entry(self, key: str, plain: bytes | None = None) -> dict[str, Any]:
        """The journal entry it was made of: the JSON compressed without a dictionary (`plain`,
        when made already), so that what is stored reads back in any process."""
        if plain is None:
            plain = self.packed if self.packer is None else compress(self.text())
        return {
            "t": "file",
            "k": key,
            "seq": self.seq,
            "region": self.region,
            "methodist": self.methodist,
            "mentor": self.mentor,
            "file": Blob(plain),
        }


def _interned(value: str | None) -> str | None:
    """One copy of a region or staff id, however many files name it."""
    return None if value is None else sys.intern(value)


def _supersedes(entry: dict[str, Any], known: dict[str, Any]) -> bool:
    """Whether a catalogue entry replaces the one held for its key: a higher revision of a
    program or staff member, an earlier departure date."""
    if entry["t"] == "left":
        return bool(entry["data"]["left_on"] < known["data"]["left_on"])
    return bool(known["revision"] < entry["revision"])


class Learning:
    """When the held files get a (new) dictionary: zstd trains one on the last `samples` files
    written once `first` were written, and again each time the writes grow `growth` times (the
    files change as the platform runs: registrations first, then routes, progress, repeats);
    each file keeps the packer it was packed with. A state read back trains on files spread over
    it. Figures and costs: docs/decisions/packed-journals.md."""

    def __init__(self, first: int = 5000, samples: int = 500, growth: int = 4):
        self.first, self.samples, self.growth = first, samples, growth
        self.packer: Packer | None = None
        self._recent: deque[bytes] = deque(maxlen=samples)
        self._written = 0
        self._next = first

    def wrote(self, text: bytes) -> None:
        self._recent.append(text)
        self._written += 1
        if self._written >= self._next:
            self._next *= self.growth
            self.packer = Packer.trained(list(self._recent)) or self.packer

    def read_back(self, held: list[HeldFile]) -> None:
        """A state read back whole: trained on files spread over it (when there are enough)."""
        self._written, self._next = len(held), max(self.first, self.growth * len(held))
        if len(held) >= self.first:
            step = max(1, len(held) // self.samples)
            self.packer = Packer.trained([h.text() for h in held[::step]]) or self.packer


class _State:
    """What the journal says, folded: the latest entry of every file and catalogue fact."""

    def __init__(self) -> None:
        self.files: dict[str, HeldFile] = {}
        #: region -> (kind, key) -> entry: a batch that changes a region's catalogue has it read
        #: again, which must not walk the other regions' (a national state holds 89)
        self.catalogue: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self.entries = 0

    def add(self, e: dict[str, Any]) -> None:
        self.entries += 1
        if e["t"] == "file":
            held = self.files.get(e["k"])
            if held is None or held.seq < e["seq"]:
                self.files[e["k"]] = HeldFile.of(e)
        else:
            region = self.catalogue.setdefault(e["region"], {})
            known = region.get((e["t"], e["k"]))
            if known is None or _supersedes(e, known):
                region[(e["t"], e["k"])] = e

    def catalogue_entries(self) -> int:
        return sum(len(region) for region in self.catalogue.values())

    def current(self) -> list[dict[str, Any]]:
        return [
            *(e for region in self.catalogue.values() for e in region.values()),
            *(f.entry(k) for k, f in self.files.items()),
        ]


class RoutesStore:
    def __init__(self, db: AsyncDatabase, learning: Learning | None = None):
        self._journal = Journal(db["journal"])
        self._state: _State | None = None
        self._learning = learning or Learning()

    async def reload(self) -> None:
        """Read the journal back whole (start-up, partitions assigned); compact a long one."""
        state, read = _State(), []
        async for doc_id, entries in self._journal.documents():
            read.append(doc_id)
            for e in entries:
                state.add(e)
        live = len(state.files) + state.catalogue_entries()
        if len(read) > COMPACT_MIN_DOCUMENTS and state.entries > COMPACT_RATIO * live:
            await self._journal.compact(state.current(), read)
        self._state = state
        self._learning.read_back(list(state.files.values()))
        log.info(
            "routes_state_loaded",
            files=len(state.files),
            held_mb=round(self.held_bytes() / 2**20, 1),
            entries=state.entries,
            documents=len(read),
        )

    async def _ready(self) -> _State:
        if self._state is None:
            await self.reload()
        assert self._state is not None
        return self._state

    def held_bytes(self) -> int:
        """What the held files take compressed (logged when the state is read back)."""
        return sum(len(h.packed) for h in self._state.files.values()) if self._state else 0

    async def files(self, keys: Iterable[str]) -> dict[str, EducatorFile]:
        state = await self._ready()
        return {k: state.files[k].file() for k in set(keys) if k in state.files}

    async def catalogue(self, region: str) -> Catalogue:
        state = await self._ready()
        programs, staff, departed = {}, {}, {}
        for (kind, _), e in state.catalogue.get(region, {}).items():
            if e["revision"] <= 0:
                continue
            if kind == "program":
                programs[e["data"]["program_id"]] = ProgramRecorded.model_validate(e["data"])
            elif kind == "left":
                departed[e["data"]["staff_id"]] = date.fromisoformat(e["data"]["left_on"])
            else:
                staff[e["data"]["staff_id"]] = SupportStaffRecorded.model_validate(e["data"])
        return Catalogue(programs=programs, staff=staff, departed=departed)

    async def loads(self, region: str) -> Loads:
        """Active routes per methodist and support forms per mentor, counted from the files."""
        state = await self._ready()
        loads = Loads()
        for f in state.files.values():
            if f.region == region:
                Loads.bump(loads.methodist, f.methodist, 1)
                Loads.bump(loads.mentor, f.mentor, 1)
        return loads

    async def save_catalogue(
        self,
        region: str,
        programs: list[ProgramRecorded],
        staff: list[SupportStaffRecorded],
        departures: list[StaffLeft] | None = None,
    ) -> None:
        state = await self._ready()
        known_here = state.catalogue.get(region, {})
        newest: dict[tuple[str, str], dict[str, Any]] = {}
        facts: list[tuple[str, list[Any], str]] = [
            ("program", list(programs), "program_id"),
            ("staff", list(staff), "staff_id"),
            ("left", list(departures or ()), "staff_id"),
        ]
        for kind, items, key in facts:
            for item in items:
                k = (kind, f"{region}:{getattr(item, key)}")
                known = newest.get(k) or known_here.get(k)
                entry = {"t": kind, "k": k[1], "region": region, **catalogue_document(item)}
                if known is None or _supersedes(entry, known):
                    newest[k] = entry
        await self._journal.append(list(newest.values()))
        state.catalogue.setdefault(region, {}).update(newest)

    async def save_files(self, files: Iterable[EducatorFile]) -> None:
        state = await self._ready()
        held, entries = {}, []
        for f in files:
            key = file_key(f.region, f.educator_id)
            known = state.files.get(key)
            text = pydantic_core.to_json(f)
            h = held[key] = HeldFile.made(f, (known.seq if known else 0) + 1, self._learning.packer, text)
            entries.append(h.entry(key, None if h.packer is None else compress(text)))
            self._learning.wrote(text)
        await self._journal.append(entries)
        state.files.update(held)

    async def routes(self, region: str) -> list[dict]:
        """The read view of every route of a region, by route id."""
        state = await self._ready()
        views = [v for f in state.files.values() if f.region == region for v in route_view(f.file())]
        return sorted(views, key=lambda v: v["_id"])
