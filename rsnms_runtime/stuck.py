"""What an operator does about a stuck partition (`rsnms show`, `rsnms skip`).

`show TOPIC:PARTITION:OFFSET` prints the message at that position (personal data removed, long
values cut) and the consumer groups whose committed offset is there. `skip GROUP
TOPIC:PARTITION:OFFSET --by WHO --reason WHY` dead-letters the message on purpose (kind `skipped`,
the reason naming who and why), records the skip (`<prefix>_ops.skips`), and moves the group past
it: a running consumer of the group passes over a skipped message, also one its use case is held
up by; a group with no member running gets its committed offset moved past it directly."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata
from pymongo import AsyncMongoClient

from contracts import Topic
from contracts.privacy import redact
from rsnms_runtime.deadletters import letter_for, printable
from rsnms_runtime.settings import Settings
from rsnms_runtime.skips import Position, SkipList, ops_database, parse_position, position_text

#: characters of a message's value `show` prints (unless --full)
SHOWN = 2000


async def read_at(settings: Settings, position: Position) -> Any | None:
    """The record at `position`, or None if there is none (deleted, or not written yet)."""
    topic, partition, offset = position
    tp = TopicPartition(topic, partition)
    consumer = AIOKafkaConsumer(
        **settings.kafka_client(),
        enable_auto_commit=False,
        max_partition_fetch_bytes=64 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    try:
        consumer.assign([tp])
        start, end = (await consumer.beginning_offsets([tp]))[tp], (await consumer.end_offsets([tp]))[tp]
        if not start <= offset < end:
            return None
        consumer.seek(tp, offset)
        for _ in range(20):
            for record in (await consumer.getmany(tp, timeout_ms=1000, max_records=1)).get(tp, []):
                if record.offset == offset:
                    return record
                if record.offset > offset:  # compacted or a transaction marker
                    return None
        return None
    finally:
        await consumer.stop()


async def groups_at(settings: Settings, position: Position) -> list[str]:
    """The platform's consumer groups whose committed offset on that partition is `offset`."""
    topic, partition, offset = position
    tp = TopicPartition(topic, partition)
    admin = AIOKafkaAdminClient(**settings.kafka_client())
    await admin.start()
    try:
        groups = [g[0] for g in await admin.list_consumer_groups() if g[0].startswith(settings.group_prefix + ".")]
        at = []
        for group in sorted(groups):
            offsets = await admin.list_consumer_group_offsets(group)
            if tp in offsets and offsets[tp].offset == offset:
                at.append(group)
        return at
    finally:
        await admin.close()


def describe_record(record: Any, full: bool = False) -> str:
    value: bytes = record.value or b""
    cleaned, redacted = redact(value)
    text = cleaned.decode(errors="replace")
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), ensure_ascii=False, indent=2)
    shown = printable(text, len(text) + 1 if full else SHOWN)
    lines = [
        f"position   {record.topic}:{record.partition}:{record.offset}",
        f"time       {datetime.fromtimestamp(record.timestamp / 1000, UTC):%Y-%m-%d %H:%M:%S} UTC",
        f"key        {printable(record.key.decode(errors='replace'), 200) if record.key else '(none)'}",
        f"size       {len(value)} bytes, sha256 {hashlib.sha256(value).hexdigest()}",
        "headers    "
        + (
            ", ".join(
                f"{k}={printable(v.decode(errors='replace') if isinstance(v, bytes) else str(v), 80)}"
                for k, v in record.headers or ()
            )
            or "(none)"
        ),
        "value" + ("      (personal data removed)" if redacted else ""),
        shown,
    ]
    return "\n".join(lines)


async def cmd_show(settings: Settings, where: str, full: bool = False) -> int:
    try:
        position = parse_position(where)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    record = await read_at(settings, position)
    if record is None:
        print(f"no message at {where}", file=sys.stderr)
        return 1
    print(describe_record(record, full))
    groups = await groups_at(settings, position)
    print(f"\nconsumer groups at this position: {', '.join(groups) if groups else '(none)'}")
    return 0


async def _active_members(admin: AIOKafkaAdminClient, group: str) -> int:
    described = await admin.describe_consumer_groups([group])
    groups = described[0].groups if described else []
    return len(groups[0][5]) if groups else 0  # (error, group, state, protocol type, protocol, members)


async def _move_past(settings: Settings, group: str, position: Position) -> str:
    """Commit offset + 1 for a group with no member running (a running one passes over it)."""
    topic, partition, offset = position
    tp = TopicPartition(topic, partition)
    admin = AIOKafkaAdminClient(**settings.kafka_client())
    await admin.start()
    try:
        if await _active_members(admin, group):
            return "the running consumers of the group pass over it"
        committed = (await admin.list_consumer_group_offsets(group)).get(tp)
    finally:
        await admin.close()
    if committed is not None and committed.offset > offset:
        return f"the group is already past it (committed {committed.offset})"
    mover = AIOKafkaConsumer(**settings.kafka_client(), group_id=group, enable_auto_commit=False)
    await mover.start()
    try:
        mover.assign([tp])
        await mover.commit({tp: OffsetAndMetadata(offset + 1, f"skipped {position_text(position)}")})
    finally:
        await mover.stop()
    return f"committed {offset + 1} for the group (no member running)"


async def skip(settings: Settings, group: str, where: str, by: str, reason: str) -> int:
    """Dead-letter the message at `where` on purpose for `group`, record who and why, move on."""
    try:
        position = parse_position(where)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not by.strip() or not reason.strip():
        print("say who skips it (--by) and why (--reason)", file=sys.stderr)
        return 2
    record = await read_at(settings, position)
    if record is None:
        print(f"no message at {where}", file=sys.stderr)
        return 1
    client: AsyncMongoClient[Any] = AsyncMongoClient(settings.mongodb_uri)
    try:
        skips = SkipList(ops_database(client, settings.mongodb_db_prefix), group)
        if not await skips.record(position, by, reason, None):
            print(f"{where}: already skipped for {group}")
            return 0
        service = group.removeprefix(settings.group_prefix + ".")
        letter = letter_for(record, "skipped", f"skipped by {by}: {reason}", service)
        producer = AIOKafkaProducer(**settings.kafka_client(), enable_idempotence=True, acks="all")
        await producer.start()
        try:
            sent = await producer.send_and_wait(
                str(Topic.DEAD_LETTER),
                letter.model_dump_json().encode(),
                key=(letter.key or "").encode() or None,
                headers=[("error_kind", b"skipped"), ("consumer", service.encode())],
            )
        finally:
            await producer.stop()
        await skips.set_dead_letter(position, f"{sent.partition}:{sent.offset}")
    finally:
        await client.close()
    moved = await _move_past(settings, group, position)
    print(f"{where}: skipped for {group} by {by} ({reason}); dead letter {sent.partition}:{sent.offset}; {moved}")
    return 0
