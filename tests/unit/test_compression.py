"""What the platform stores compressed is written as zstd and read back from zstd or from zlib (the
journals, ledgers, tables and routes files written before zstd), and anything else is refused;
what is held compressed takes the memory of its compressed size."""

from __future__ import annotations

import tracemalloc
import zlib

import pytest

from rsnms_runtime.compression import ZSTD_MAGIC, Packer, compress, decompress
from rsnms_runtime.mongo import pack, unpack

JSON = '{"region": "RU-YEV", "Показатель": [1, 2.5, null]}'.encode() * 40


def test_written_as_zstd_and_read_back():
    packed = compress(JSON)
    assert packed.startswith(ZSTD_MAGIC)
    assert len(packed) < len(JSON) // 4
    assert decompress(packed) == JSON
    assert decompress(compress(b"")) == b""


def test_what_zlib_wrote_before_is_still_read():
    for level in (1, 6, 9):
        assert decompress(zlib.compress(JSON, level)) == JSON
    older_journal_field = zlib.compress(b'[["e1"], ["c2:aa"]]', 1)
    assert unpack(older_journal_field) == [["e1"], ["c2:aa"]]
    assert unpack(pack({"k": "б"})) == {"k": "б"}


@pytest.mark.parametrize("data", [b"", b"\x00\x01not compressed", ZSTD_MAGIC + b"\x00broken", compress(JSON)[:-3]])
def test_anything_else_is_a_value_error(data):
    with pytest.raises(ValueError, match="not compressed data"):
        decompress(data)


def test_what_is_held_compressed_takes_its_compressed_size_in_memory():
    # a national state holds a million routes files compressed (zstandard's own result keeps the
    # allocation of the input's size: 4.4 GB in the routes service instead of about 2)
    files = [JSON + str(n).encode() for n in range(2000)]
    tracemalloc.start()
    try:
        held = [compress(f) for f in files]
        allocated, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    compressed = sum(len(h) for h in held)
    assert compressed < sum(len(f) for f in files) // 4
    assert allocated < 2 * compressed + 100 * len(held)


def test_a_packer_compresses_small_documents_against_typical_ones():
    typical = b"".join(JSON.replace(b"2.5", str(n).encode()) for n in range(4))
    packer = Packer(typical)
    document = JSON.replace(b"2.5", b"7.25")
    packed = packer.compress(document)
    assert packer.decompress(packed) == document
    assert len(packed) < len(compress(document)) // 2
    assert Packer(b"").decompress(Packer(b"").compress(document)) == document  # no typical documents: plain zstd


def test_a_packer_trained_on_samples_of_a_kind_compresses_the_next_ones_smaller():
    import json
    import random

    rng = random.Random(3)

    def document(n: int) -> bytes:
        return json.dumps(
            {
                "educator_id": f"ed-{n:032x}",
                "routes": [
                    {"reason": f"закрывает дефицит «{rng.choice('абвгд')}» (балл {rng.randint(1, 59)} < порог 60)"}
                    for _ in range(rng.randint(1, 3))
                ],
            },
            ensure_ascii=False,
        ).encode()

    packer = Packer.trained([document(n) for n in range(400)])
    assert packer is not None
    later = [document(n) for n in range(400, 450)]
    assert all(packer.decompress(packer.compress(d)) == d for d in later)
    assert sum(len(packer.compress(d)) for d in later) < sum(len(compress(d)) for d in later) // 2
    assert Packer.trained([b"x"]) is None  # nothing to train on
