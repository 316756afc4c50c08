"""The producers' partitioner puts every key where Kafka's default partitioner (aiokafka's) does."""

from __future__ import annotations

import random

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2

from rsnms_runtime.partitioner import KeyPartitioner, murmur2


def test_murmur2_is_kafkas_for_every_length_and_byte():
    rng = random.Random(7)
    for length in range(130):
        for _ in range(25):
            data = bytes(rng.randrange(256) for _ in range(length))
            assert murmur2(data) == aiokafka_murmur2(data)
    # Kafka's own test vectors (org.apache.kafka.common.utils.UtilsTest.testMurmur2)
    vectors = {b"21": -973932308, b"foobar": -790332482, b"a-little-bit-long-string": -985981536}
    for data, signed in vectors.items():
        assert murmur2(data) == signed & 0xFFFFFFFF


def test_the_partition_of_a_key_is_the_default_partitioners_and_stays_so_when_remembered():
    ours, theirs = KeyPartitioner(remember=100), DefaultPartitioner()
    keys = [f"ed-{n:032x}".encode() for n in range(500)]
    for partitions in ([0], list(range(3)), list(range(12)), [0, 1, 2, 5]):
        for _ in range(2):  # the second round comes from memory (or after it was cleared)
            for key in keys:
                assert ours(key, partitions, partitions) == theirs(key, partitions, partitions)


def test_no_key_goes_to_an_available_partition():
    assert KeyPartitioner()(None, [0, 1, 2], [2]) == 2
    assert KeyPartitioner()(None, [0, 1, 2], []) in (0, 1, 2)
