"""`rsnms`: the operator's command line.

    rsnms status                          infrastructure health, topics, consumer lag per partition
    rsnms deadletters [--consumer C]      list dead letters with their reason and origin
    rsnms redrive OFFSET... | --all       re-publish dead-lettered originals after a fix (once each)
    rsnms rebuild SERVICE [--watch]       drop a service's projection and replay its topics from the start
    rsnms snapshot REGION [--url U]       take a passport snapshot now (through the indicators service)

Reads KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI, RSNMS_DB_PREFIX, RSNMS_GROUP_PREFIX like the services.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata
from pymongo import AsyncMongoClient

from contracts import DeadLetter, Topic
from rsnms_runtime.probe import kafka_ready, mongodb_ready
from rsnms_runtime.settings import Settings

logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

SERVICES = ("registry", "diagnostics", "routes", "indicators")
REDRIVE_HEADER = "rsnms-redrive-of"


def _settings() -> Settings:
    return Settings(service="ops")


async def _partitions(consumer: AIOKafkaConsumer, topics: Sequence[str]) -> list[TopicPartition]:
    cluster = await consumer._client.fetch_all_metadata()
    return [TopicPartition(t, p) for t in topics for p in sorted(cluster.partitions_for_topic(t) or ())]


async def consumer_lag(settings: Settings) -> dict[str, dict[tuple[str, int], tuple[int, int]]]:
    """For every consumer group of the platform: (committed offset, lag) per topic-partition."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    probe = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    await admin.start()
    await probe.start()
    try:
        groups = sorted(
            g[0] for g in await admin.list_consumer_groups() if g[0].startswith(settings.group_prefix + ".")
        )
        result: dict[str, dict[tuple[str, int], tuple[int, int]]] = {}
        for group in groups:
            offsets = await admin.list_consumer_group_offsets(group)
            ends = await probe.end_offsets(list(offsets)) if offsets else {}
            result[group] = {
                (tp.topic, tp.partition): (meta.offset, max(0, ends[tp] - max(meta.offset, 0)))
                for tp, meta in offsets.items()
            }
        return result
    finally:
        await probe.stop()
        await admin.close()


async def cmd_status(settings: Settings) -> int:
    k, m = await asyncio.gather(kafka_ready(settings.kafka_bootstrap_servers), mongodb_ready(settings.mongodb_uri))
    print(f"kafka   {settings.kafka_bootstrap_servers}: {'healthy' if k is None else 'unhealthy: ' + k}")
    print(f"mongodb {settings.mongodb_uri}: {'healthy' if m is None else 'unhealthy: ' + m}")
    if k is not None:
        return 1
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    try:
        tps = await _partitions(consumer, [str(t) for t in Topic])
        ends = await consumer.end_offsets(tps) if tps else {}
    finally:
        await consumer.stop()
    print("\ntopic                                   partitions  messages")
    for topic in Topic:
        mine = [tp for tp in tps if tp.topic == topic]
        print(f"{topic!s:<40}{len(mine):>10}{sum(ends[tp] for tp in mine):>10}")
    print("\nconsumer group / topic:partition          committed       lag")
    for group, parts in (await consumer_lag(settings)).items():
        total = sum(lag for _, lag in parts.values())
        print(f"{group}  (total lag {total})")
        for (name, partition), (offset, lag) in sorted(parts.items()):
            print(f"  {name}:{partition:<6}{offset:>18}{lag:>10}")
    return 0 if m is None else 1


async def read_dead_letters(settings: Settings) -> list[tuple[int, int, DeadLetter]]:
    """(partition, offset, record) of every dead letter, oldest first."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = await _partitions(consumer, [str(Topic.DEAD_LETTER)])
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[tuple[int, int, DeadLetter]] = []
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                out.extend((r.partition, r.offset, DeadLetter.model_validate_json(r.value)) for r in records)
        return sorted(out, key=lambda x: (x[2].failed_at, x[0], x[1]))
    finally:
        await consumer.stop()


def _ref(partition: int, offset: int) -> str:
    return f"{partition}:{offset}"


async def cmd_deadletters(settings: Settings, consumer: str | None, kind: str | None) -> int:
    letters = await read_dead_letters(settings)
    redriven = await _redriven(settings)
    shown = 0
    for partition, offset, d in letters:
        if (consumer and d.consumer != consumer) or (kind and d.error_kind != kind):
            continue
        shown += 1
        state = " [re-driven]" if _ref(partition, offset) in redriven else ""
        print(
            f"{_ref(partition, offset):>10}  {d.failed_at:%Y-%m-%d %H:%M:%S}  {d.consumer:<12} {d.error_kind:<22}"
            f" {d.topic}:{d.partition}@{d.offset}{state}\n            {d.error}"
        )
    print(f"{shown} dead letter(s)")
    return 0


def _ops_collection(settings: Settings, client: AsyncMongoClient) -> Any:
    return client[f"{settings.mongodb_db_prefix}_ops"]["redriven"]


async def _redriven(settings: Settings) -> set[str]:
    client: AsyncMongoClient = AsyncMongoClient(settings.mongodb_uri)
    try:
        return {d["_id"] async for d in _ops_collection(settings, client).find({}, {"_id": 1})}
    finally:
        await client.close()


async def redrive(settings: Settings, refs: Sequence[str] | None, consumer: str | None = None) -> list[str]:
    """Re-publish the original bytes of dead letters to their original topic, once each.

    A re-drive is recorded before it is sent; the consumers' ledger makes the event count
    once even if the same original was re-driven by two operators at the same time.
    """
    letters = {_ref(p, o): d for p, o, d in await read_dead_letters(settings)}
    wanted = list(refs) if refs else [r for r, d in letters.items() if not consumer or d.consumer == consumer]
    client: AsyncMongoClient = AsyncMongoClient(settings.mongodb_uri)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True)
    await producer.start()
    done: list[str] = []
    try:
        ops = _ops_collection(settings, client)
        for ref in wanted:
            letter = letters.get(ref)
            if letter is None:
                print(f"{ref}: no such dead letter", file=sys.stderr)
                continue
            claim = await ops.update_one(
                {"_id": ref}, {"$setOnInsert": {"at": datetime.now(UTC), "topic": letter.topic}}, upsert=True
            )
            if claim.upserted_id is None:
                print(f"{ref}: already re-driven")
                continue
            await producer.send_and_wait(
                letter.topic,
                letter.original,
                key=letter.key.encode() if letter.key else None,
                headers=[
                    *((k, v.encode()) for k, v in letter.original_headers.items()),
                    (REDRIVE_HEADER, ref.encode()),
                ],
            )
            done.append(ref)
            print(f"{ref}: re-published to {letter.topic}")
    finally:
        await producer.stop()
        await client.close()
    return done


async def _active_members(admin: AIOKafkaAdminClient, group: str) -> int:
    described = await admin.describe_consumer_groups([group])
    groups = described[0].groups if described else []
    return len(groups[0][5]) if groups else 0  # (error, group, state, protocol type, protocol, members)


async def rewind_group(settings: Settings, group: str, partitions: Sequence[TopicPartition]) -> None:
    """Commit the beginning of each partition as the group's offset (the group must be empty)."""
    rewind = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    await rewind.start()
    try:
        rewind.assign(list(partitions))  # a commit needs the partitions assigned to the committer
        starts = await rewind.beginning_offsets(list(partitions))
        await rewind.commit({tp: OffsetAndMetadata(starts[tp], "") for tp in partitions})
    finally:
        await rewind.stop()


async def rebuild(settings: Settings, service: str, watch: bool, timeout: float = 3600) -> int:
    """Rewind a service's consumer group to the beginning and drop its projection.

    The service must be stopped (an active group cannot be rewound); start it again and
    it replays every topic it reads. With --watch, shows the replay's progress. The group
    is rewound before the database is dropped: if the drop fails, the replay meets the
    intact ledger and changes nothing, instead of an empty projection never replayed.
    """
    group = f"{settings.group_prefix}.{service}"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        members = await _active_members(admin, group)
        if members:
            print(f"{group} has {members} active member(s): stop the service first", file=sys.stderr)
            return 2
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    if offsets:
        await rewind_group(settings, group, list(offsets))
    client: AsyncMongoClient = AsyncMongoClient(settings.mongodb_uri)
    try:
        await client.drop_database(f"{settings.mongodb_db_prefix}_{service}")
    finally:
        await client.close()
    print(f"{group} rewound on {len(offsets)} partition(s); dropped {settings.mongodb_db_prefix}_{service}")
    if not watch:
        return 0
    print("start the service to replay", flush=True)
    return await watch_replay(settings, group, timeout)


async def watch_replay(settings: Settings, group: str, timeout: float) -> int:
    """A progress bar of a consumer group catching up with its topics (committed / end offsets)."""
    deadline = time.monotonic() + timeout
    width = 40
    while time.monotonic() < deadline:
        parts = (await consumer_lag(settings)).get(group, {})
        lag = sum(lag for _, lag in parts.values())
        done = sum(max(off, 0) for off, _ in parts.values())
        filled = width if not lag else int(width * done / (done + lag))
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{done + lag} events", end="", flush=True)
        if parts and lag == 0:
            print()
            return 0
        await asyncio.sleep(1)
    print(f"\nnot caught up within {timeout:.0f} s", file=sys.stderr)
    return 1


def cmd_snapshot(region: str, url: str) -> int:
    """Ask the indicators service for a passport snapshot now; print what identifies it."""
    target = f"{url.rstrip('/')}/passports/snapshot?{urllib.parse.urlencode({'region': region})}"
    try:
        with urllib.request.urlopen(urllib.request.Request(target, method="POST"), timeout=60) as r:
            snap = json.loads(r.read())
    except urllib.error.HTTPError as exc:
        print(f"snapshot refused ({exc.code}): {exc.read().decode(errors='replace')}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"indicators service not reachable at {url}: {exc}", file=sys.stderr)
        return 2
    print(
        json.dumps(
            {k: snap.get(k) for k in ("snapshot_id", "region", "version", "as_of", "taken_at")},
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="rsnms", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("status", help="health, topics and consumer lag")
    dl = sub.add_parser("deadletters", help="list dead letters")
    dl.add_argument("--consumer")
    dl.add_argument("--kind")
    rd = sub.add_parser("redrive", help="re-publish dead-lettered originals (PARTITION:OFFSET of the dead letter)")
    rd.add_argument("refs", nargs="*")
    rd.add_argument("--all", action="store_true")
    rd.add_argument("--consumer")
    rb = sub.add_parser("rebuild", help="replay a service's projection from the start")
    rb.add_argument("service", choices=SERVICES)
    rb.add_argument("--watch", action="store_true")
    rb.add_argument("--timeout", type=float, default=3600, help="seconds --watch waits for the replay")
    sn = sub.add_parser("snapshot", help="take a passport snapshot now")
    sn.add_argument("region", nargs="?", help="region code (or --region)")
    sn.add_argument("--region", dest="region_option", metavar="REGION")
    sn.add_argument("--url", default="http://127.0.0.1:8084", help="the indicators service")
    args = parser.parse_args(argv)
    settings = _settings()
    if args.cmd == "status":
        code = asyncio.run(cmd_status(settings))
    elif args.cmd == "deadletters":
        code = asyncio.run(cmd_deadletters(settings, args.consumer, args.kind))
    elif args.cmd == "redrive":
        if not args.refs and not args.all:
            parser.error("name dead letters (PARTITION:OFFSET) or --all")
        asyncio.run(redrive(settings, args.refs or None, args.consumer))
        code = 0
    elif args.cmd == "rebuild":
        code = asyncio.run(rebuild(settings, args.service, args.watch, args.timeout))
    else:
        if not (args.region or args.region_option):
            parser.error("name the region: rsnms snapshot REGION")
        code = cmd_snapshot(args.region or args.region_option, args.url)
    sys.exit(code)


if __name__ == "__main__":
    main()
