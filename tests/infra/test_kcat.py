"""The publishers' guide works as written (docs/publishers.md): an event published with kcat, the
documented settings (murmur2 partitioner, gzip, the signature headers computed with openssl) is
accepted and applied, on the partition the platform's own (aiokafka, Java-compatible) producer
puts the same key on; with kcat's default partitioner the same key lands elsewhere."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import zlib

import pytest
from aiokafka.partitioner import murmur2
from pymongo import AsyncMongoClient

from contracts import Topic
from rsnms_runtime.sources import Grant, SourceGate
from services.registry.adapters.store import RegistryStore
from services.registry.entrypoints.app import build
from tests.support.factories import educator_registered, region_code
from tests.support.kafka import eventually, read_topic

pytestmark = [
    pytest.mark.infra,
    pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed (.ci/run installs it)"),
]
TOPIC = str(Topic.REGISTRY_SUBMITTED)
SECRET = "s" * 32
PARTITIONS = 3


def java_partition(key: bytes) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % PARTITIONS


def kcat_default_partition(key: bytes) -> int:
    return zlib.crc32(key) % PARTITIONS  # librdkafka's consistent_random


#: the guide's publishing script, as a publisher would run it (docs/publishers.md)
PUBLISH = r"""
set -eu
KEY="$1"; FILE="$2"; TOPIC="$3"; shift 3
SIGNATURE=$( { printf '%s\n%s\n' "$TOPIC" "$KEY"; cat "$FILE"; } \
  | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1 )
kcat -P -b "$BROKERS" -t "$TOPIC" -k "$KEY" -z gzip \
  -H "rsnms-source=$SOURCE" -H "rsnms-signature=$SIGNATURE" \
  -H content-type=application/json "$@" "$FILE"
"""


def _kcat(infra, key: str, path: str, *extra: str) -> None:
    env = {**os.environ, "BROKERS": infra.kafka, "SOURCE": "cnppm-test", "SECRET": SECRET}
    done = subprocess.run(
        ["bash", "-c", PUBLISH, "publish", key, path, TOPIC, *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


async def test_an_event_published_with_kcat_as_documented_is_applied_on_the_java_partition(infra, prefix, tmp_path):
    region = region_code()
    # an educator whose key kcat's default partitioner would put on another partition
    n = next(
        n
        for n in range(1000)
        if kcat_default_partition((k := educator_registered(region, n).key).encode()) != java_partition(k.encode())
    )
    documented, default = educator_registered(region, n), educator_registered(region, n, birth_year=1977)
    key = documented.key
    gate = SourceGate(
        {"cnppm-test": SECRET.encode()}, {"cnppm-test": Grant(frozenset({"EducatorRegistered"}), frozenset({region}))}
    )
    runtime = build(infra.settings("registry", prefix), gate=gate)
    await runtime.start()
    try:
        path = tmp_path / "event.json"
        path.write_bytes(documented.to_bytes())
        await asyncio.to_thread(_kcat, infra, key, str(path), "-X", "partitioner=murmur2_random")
        async with AsyncMongoClient(infra.mongodb) as client:
            registry = RegistryStore(client[f"{prefix}_registry"])
            assert await eventually(lambda: registry.entity("educators", region, key), timeout=60)
        other = tmp_path / "default.json"
        other.write_bytes(default.to_bytes())
        await asyncio.to_thread(_kcat, infra, key, str(other))  # kcat's default partitioner
    finally:
        await runtime.stop()

    records = {r.value: r for r in await read_topic(infra.kafka, TOPIC)}
    assert records[documented.to_bytes()].partition == java_partition(key.encode())
    assert records[default.to_bytes()].partition == kcat_default_partition(key.encode()) != java_partition(key.encode())
