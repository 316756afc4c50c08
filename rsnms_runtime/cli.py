"""`rsnms`: the operator's command line.

    rsnms status                          health of Kafka, MongoDB and each service, topics, lag per partition
    rsnms deadletters [--consumer C]      list dead letters with their reason and origin
    rsnms redrive OFFSET... | --all       re-publish dead-lettered originals after a fix (once each)
    rsnms rebuild SERVICE [--watch]       drop a service's projection and replay its topics from the start
    rsnms snapshot REGION [--url U]       take a passport snapshot now (through the indicators service)
    rsnms show TOPIC:PARTITION:OFFSET     the message at a position (e.g. where a consumer is stuck)
    rsnms skip GROUP TOPIC:PARTITION:OFFSET --by WHO --reason WHY
                                          dead-letter that message on purpose and move the group past it
    rsnms decode SERVICE [COLLECTION [ID]] a service's stored documents as JSON, packed journal entries
                                          decoded (no collection: the collections and their sizes)

Reads KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI, RSNMS_DB_PREFIX, RSNMS_GROUP_PREFIX like the services;
`status` asks each service's /health/ready at RSNMS_SERVICE_URLS (`name=url,...`; default: the ports
of `make run`, RSNMS_DEMO_HTTP_PORT=8081 and the three after it). Output can be piped (`| head`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
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
from rsnms_runtime import stuck
from rsnms_runtime.decode import decoded
from rsnms_runtime.partitions import topic_partitions
from rsnms_runtime.probe import kafka_ready, mongodb_ready
from rsnms_runtime.settings import OpsSettings, Settings

logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

SERVICES = ("registry", "diagnostics", "routes", "indicators")
REDRIVE_HEADER = "rsnms-redrive-of"


def _settings() -> Settings:
    return OpsSettings()


def service_urls(settings: OpsSettings | None = None) -> dict[str, str]:
    """Where each service answers HTTP: RSNMS_SERVICE_URLS, else the ports `make run` uses."""
    settings = settings or OpsSettings()
    raw = (settings.service_urls or "").strip()
    if raw:
        pairs = (item.split("=", 1) for item in raw.split(",") if item.strip())
        return {name.strip(): url.strip().rstrip("/") for name, url in pairs}
    first = settings.demo_http_port
    return {name: f"http://127.0.0.1:{first + i}" for i, name in enumerate((*SERVICES, "portal"))}


def service_health(url: str, timeout: float = 3.0) -> tuple[str, bool]:
    """(what /health/ready says, whether that is a failure). A service that does not answer is
    "not running", not a failure: the platform may run elsewhere."""
    try:
        with urllib.request.urlopen(f"{url}/health/ready", timeout=timeout) as response:
            return ("ready" if json.loads(response.read()).get("ready") else "not ready"), False
    except urllib.error.HTTPError as exc:
        try:
            state = json.loads(exc.read())
            reasons = ", ".join(f"{k}: {v}" for k, v in state.items() if k != "ready" and v not in (True, None, "ok"))
        except ValueError:
            reasons = ""
        return f"not ready (HTTP {exc.code}{'; ' + reasons if reasons else ''})", True
    except (urllib.error.URLError, OSError, ValueError):
        return "not running", False


def table(header: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = ()) -> list[str]:
    """Rows as lines with every column as wide as its widest cell; `numeric` columns right-aligned."""
    cells = [[str(c) for c in header], *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return [
        "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in cells
    ]


async def consumer_lag(settings: Settings) -> dict[str, dict[tuple[str, int], tuple[int, int]]]:
    """For every consumer group of the platform: (committed offset, lag) per topic-partition."""
    admin = AIOKafkaAdminClient(**settings.kafka_client())
    probe = AIOKafkaConsumer(**settings.kafka_client(), enable_auto_commit=False)
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
    urls = service_urls(settings if isinstance(settings, OpsSettings) else None)
    k, m = await asyncio.gather(kafka_ready(settings.kafka_client()), mongodb_ready(settings.mongodb_uri))
    health = await asyncio.gather(*(asyncio.to_thread(service_health, url) for url in urls.values()))
    infra = [
        ("kafka", settings.kafka_bootstrap_servers, "healthy" if k is None else "unhealthy: " + k),
        ("mongodb", settings.mongodb_uri, "healthy" if m is None else "unhealthy: " + m),
    ]
    width = max(len(name) for name, _, _ in infra)
    for name, where, state in infra:
        print(f"{name:<{width}} {where}: {state}")
    print()
    print(
        "\n".join(table(("service", "url", "health"), [(n, urls[n], h[0]) for n, h in zip(urls, health, strict=True)]))
    )
    failed = m is not None or any(bad for _, bad in health)
    if k is not None:
        return 1
    consumer = AIOKafkaConsumer(**settings.kafka_client())
    await consumer.start()
    try:
        tps = await topic_partitions(settings.kafka_client(), [str(t) for t in Topic])
        ends = await consumer.end_offsets(tps) if tps else {}
    finally:
        await consumer.stop()
    topics = []
    for topic in Topic:
        mine = [tp for tp in tps if tp.topic == topic]
        topics.append((str(topic), len(mine), sum(ends[tp] for tp in mine)))
    print()
    print("\n".join(table(("topic", "partitions", "messages"), topics, numeric=(1, 2))))
    lag = await consumer_lag(settings)
    rows = [
        (f"  {t}:{p}", offset, behind) for parts in lag.values() for (t, p), (offset, behind) in sorted(parts.items())
    ]
    lines = table(("consumer group / topic:partition", "committed", "lag"), rows, numeric=(1, 2))
    print()
    print(lines[0])
    at = 1
    for group, parts in lag.items():
        print(f"{group}  (total lag {sum(behind for _, behind in parts.values())})")
        print("\n".join(lines[at : at + len(parts)]))
        at += len(parts)
    return 1 if failed else 0


async def read_dead_letters(settings: Settings) -> list[tuple[int, int, DeadLetter]]:
    """(partition, offset, record) of every dead letter, oldest first."""
    consumer = AIOKafkaConsumer(**settings.kafka_client(), enable_auto_commit=False)
    await consumer.start()
    try:
        tps = await topic_partitions(settings.kafka_client(), [str(Topic.DEAD_LETTER)])
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
    producer = AIOKafkaProducer(**settings.kafka_client(), enable_idempotence=True)
    await producer.start()
    done: list[str] = []
    try:
        ops = _ops_collection(settings, client)
        for ref in wanted:
            letter = letters.get(ref)
            if letter is None:
                print(f"{ref}: no such dead letter", file=sys.stderr)
                continue
            if letter.original_truncated:
                print(f"{ref}: the letter keeps only a part of the original (at {letter.position})", file=sys.stderr)
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
    rewind = AIOKafkaConsumer(**settings.kafka_client(), group_id=group, enable_auto_commit=False)
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
    admin = AIOKafkaAdminClient(**settings.kafka_client())
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


async def cmd_decode(settings: Settings, service: str, collection: str | None, doc_id: str | None, limit: int) -> int:
    """A service's stored documents, decoded (see rsnms_runtime/decode.py)."""
    client: AsyncMongoClient[Any] = AsyncMongoClient(settings.mongodb_uri)
    db = client[f"{settings.mongodb_db_prefix}_{service}"]
    try:
        if collection is None:
            for name in sorted(await db.list_collection_names()):
                print(f"{name}\t{await db[name].count_documents({})}")
            return 0
        query = {} if doc_id is None else {"_id": doc_id}
        found = 0
        async for doc in db[collection].find(query).sort("_id", 1).limit(limit):
            print(json.dumps(decoded(doc), ensure_ascii=False, indent=2))
            found += 1
        if not found:
            print(
                f"no document in {db.name}.{collection}" + (f" with _id {doc_id!r}" if doc_id else ""), file=sys.stderr
            )
            return 1
        return 0
    finally:
        await client.close()


def main(argv: Sequence[str] | None = None) -> None:
    try:
        code = run(argv)
        sys.stdout.flush()  # here, so a reader that went away is noticed inside the try
    except BrokenPipeError:
        # the reader of a pipe (`rsnms status | head -3`) has gone: stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141  # 128 + SIGPIPE, what a shell reports for a command stopped by a closed pipe
    sys.exit(code)


def run(argv: Sequence[str] | None = None) -> int:
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
    dc = sub.add_parser("decode", help="show stored documents decoded")
    dc.add_argument("service", help="the service whose database to read (registry, diagnostics, ...)")
    dc.add_argument("collection", nargs="?")
    dc.add_argument("id", nargs="?", help="one document's _id")
    dc.add_argument("--limit", type=int, default=20)
    sh = sub.add_parser("show", help="the message at TOPIC:PARTITION:OFFSET")
    sh.add_argument("position")
    sh.add_argument("--full", action="store_true", help="the whole value, not its first characters")
    sk = sub.add_parser("skip", help="dead-letter a message on purpose and move a consumer group past it")
    sk.add_argument("group", help="the consumer group, e.g. rsnms.routes")
    sk.add_argument("position", help="TOPIC:PARTITION:OFFSET")
    sk.add_argument("--by", required=True, help="who skips it")
    sk.add_argument("--reason", required=True, help="why")
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
    elif args.cmd == "show":
        code = asyncio.run(stuck.cmd_show(settings, args.position, args.full))
    elif args.cmd == "skip":
        code = asyncio.run(stuck.skip(settings, args.group, args.position, args.by, args.reason))
    elif args.cmd == "decode":
        code = asyncio.run(cmd_decode(settings, args.service, args.collection, args.id, args.limit))
    else:
        if not (args.region or args.region_option):
            parser.error("name the region: rsnms snapshot REGION")
        code = cmd_snapshot(args.region or args.region_option, args.url)
    return code


if __name__ == "__main__":
    main()
