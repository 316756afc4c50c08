"""How the platform compresses what it stores (journal fields, the routes' held files): zstd
frames at level 1, read back from zstd or from zlib (what was written before). Why zstd:
docs/decisions/packed-journals.md. `Packer`: the same against a dictionary (typical documents, or
one zstd trains on samples), for what a process only holds in memory."""

from __future__ import annotations

import zlib

import zstandard

#: the first bytes of every zstd frame; a zlib stream starts otherwise (0x78 for the windows used)
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

# one context each, reused: making one per call costs more than compressing a small file
_compressor = zstandard.ZstdCompressor(level=1)
_decompressor = zstandard.ZstdDecompressor()


def compress(data: bytes) -> bytes:
    """`data` as one zstd frame (level 1, its size written in the frame). Copied out: the bytes
    zstandard returns keep the allocation of the worst case (about the input's size), six times
    what a routes file compresses to, for as long as the state holds it."""
    return bytes(memoryview(_compressor.compress(data)))


def decompress(data: bytes) -> bytes:
    """What `compress` (or, before it, zlib) compressed; ValueError for anything else."""
    try:
        if data[:4] == ZSTD_MAGIC:
            return _decompressor.decompress(data)
        return zlib.decompress(data)
    except (zlib.error, zstandard.ZstdError) as exc:
        raise ValueError(f"not compressed data: {exc}") from exc


class Packer:
    """zstd frames at level 1 against a raw-content dictionary (typical documents of the kind
    packed: a small document then compresses to the little that is its own, the diagnoses the
    diagnostics service holds 656 -> ~265 bytes). For what a process holds in memory only: a
    frame needs the same dictionary to be read back."""

    def __init__(self, dictionary: bytes | zstandard.ZstdCompressionDict):
        data = (
            dictionary
            if isinstance(dictionary, zstandard.ZstdCompressionDict)
            else zstandard.ZstdCompressionDict(dictionary, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
        )
        self._compressor = zstandard.ZstdCompressor(level=1, dict_data=data, write_dict_id=False)
        self._decompressor = zstandard.ZstdDecompressor(dict_data=data)

    @classmethod
    def trained(cls, samples: list[bytes], size: int = 16384) -> Packer | None:
        """A packer against a dictionary zstd trains on `samples` (documents of the kind to pack,
        as recent as can be: what they share is what the dictionary holds); None when zstd
        cannot train one from them (too few, too small)."""
        try:
            return cls(zstandard.train_dictionary(size, list[bytes | bytearray | memoryview](samples)))
        except zstandard.ZstdError:
            return None

    def compress(self, data: bytes) -> bytes:
        """Copied out, as `compress` does."""
        return bytes(memoryview(self._compressor.compress(data)))

    def decompress(self, data: bytes) -> bytes:
        return self._decompressor.decompress(data)
