"""The producers' partitioner: the partition of a key exactly as Kafka's default partitioner
(and aiokafka's) chooses it, murmur2 of the key, computed faster and remembered.

aiokafka's murmur2 is pure Python, byte by byte; every event a service publishes is hashed, and
an educator's events are hashed again and again. Here the 4-byte words are read in one call and
the partitions of recent keys are kept (`KeyPartitioner`)."""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence

SEED = 0x9747B28C
M = 0x5BD1E995
MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 of `data` (org.apache.kafka.common.utils.Utils.murmur2), unsigned."""
    length = len(data)
    h = (SEED ^ length) & MASK
    words = length // 4
    for k in struct.unpack_from(f"<{words}I", data) if words else ():
        k = (k * M) & MASK
        k ^= k >> 24
        k = (k * M) & MASK
        h = ((h * M) & MASK) ^ k
    tail = length & ~3
    extra = length - tail
    if extra >= 3:
        h ^= data[tail + 2] << 16
    if extra >= 2:
        h ^= data[tail + 1] << 8
    if extra >= 1:
        h ^= data[tail]
        h = (h * M) & MASK
    h ^= h >> 13
    h = (h * M) & MASK
    h ^= h >> 15
    return h


class KeyPartitioner:
    """A producer's `partitioner`: murmur2 of the key modulo the partitions (a random available
    partition for no key), the partitions of the last `remember` keys kept."""

    def __init__(self, remember: int = 65536):
        self._remember = remember
        self._known: dict[tuple[bytes, int], int] = {}

    def __call__(self, key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]) -> int:
        if key is None:
            return random.choice(available or all_partitions)
        count = len(all_partitions)
        index = self._known.get((key, count))
        if index is None:
            if len(self._known) >= self._remember:
                self._known.clear()
            index = self._known[(key, count)] = (murmur2(key) & 0x7FFFFFFF) % count
        return all_partitions[index]
