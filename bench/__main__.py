"""Benchmarks of the indicators pipeline, each comparison measured side by side in one run.

    python -m bench [fold|latency|scale|replay|pipeline|portal|all] [--scale quick|region|national]

fold     real Kafka -> validate -> fold -> persist to FerretDB -> commit (the service), against a
         naive FastStream per-message handler (one database update per event) and the
         decode-only ceiling (pydantic decoding the same bytes in a loop)
latency  publish -> indicator visible, p50/p95/p99 at a sustained rate
scale    1, 2 and 3 instances in one consumer group: throughput and identical indicators
replay   rebuild everything from scratch from a history (national: 89 regions, ~1.1 million
         educators, ~10 events each): events/s and peak memory
pipeline the four services as separate processes fed as the outside systems would: end-to-end
         events/s, each service's events/s, the fold alone on the same topics, latency publish ->
         indicators at --rate (default 500/s), peak memory per service (bench/pipeline.py)
portal   page loads of the portal for a region of 10,000 educators (bench/portal.py)

Events are published with the headers the platform's publishers set, including a W3C
`traceparent` from a publisher sampling 1 % of traces. The fold runs twice: with every
event's span recorded (`always_on`) and with the production sampler following those
decisions (`parentbased_traceidratio` 0.01); scale and replay use the latter.

Runs on a private stack (ports 19192/17117, or RSNMS_BENCH_PORTS=kafka,controller,ferretdb; the
pipeline's services listen from RSNMS_BENCH_HTTP_PORT, default 21400; data in .stack-bench/).
Results also go to bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict, deque
from datetime import date
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream.kafka import KafkaBroker
from faststream.middlewares import AckPolicy
from pymongo import AsyncMongoClient

from bench.history import NATIONAL, QUICK, REGION, SMALL, Scale, history
from contracts import Topic, decode_event, topic_of
from rsnms_runtime.kafka import event_headers
from rsnms_runtime.localstack import ROOT, LocalStack
from rsnms_runtime.partitions import topic_partitions
from rsnms_runtime.settings import Settings
from services.indicators.adapters.store import IndicatorStore
from services.indicators.domain.indicators import compute
from services.indicators.domain.targets import Targets

SCALES = {"quick": QUICK, "small": SMALL, "region": REGION, "national": NATIONAL}
#: the topics the indicators service folds (providers' raw progress is read by routes, whose acceptance
#: the indicators follow)
FOLDED = [str(Topic.REGISTRY_FACTS), str(Topic.DEFICITS), str(Topic.ROUTES)]
RESULTS = ROOT / "bench" / "results"


def say(line: str) -> None:
    print(line, flush=True)


def headers_of(event: Any, n: int) -> list[tuple[str, bytes]]:
    """The headers the platform's publishers put on an event (`event_headers`), with the W3C
    trace context of a publisher that samples 1 % of its traces: every event carries a
    `traceparent`, one in a hundred with the sampled flag."""
    traceparent = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-{'01' if n % 100 == 0 else '00'}"
    return [(k, v.encode()) for k, v in {**event_headers(event), "traceparent": traceparent}.items()]


async def publish(kafka: str, events: Any, topic_suffix: str = "") -> int:
    """Publish a history as the upstream services would (keyed, acks=all, their headers);
    returns the count."""
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka, linger_ms=20, max_batch_size=512 * 1024, acks="all", enable_idempotence=True
    )
    await producer.start()
    n = 0
    pending = []
    try:
        for event in events:
            pending.append(
                await producer.send(
                    str(topic_of(event)) + topic_suffix,
                    event.to_bytes(),
                    key=event.key.encode(),
                    headers=headers_of(event, n),
                )
            )
            n += 1
            if len(pending) >= 20000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return n


async def raw_values(kafka: str, limit: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = await topic_partitions(kafka, list(FOLDED))
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        out: list[bytes] = []
        while len(out) < limit:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10000)
            if not batch:
                break
            out.extend(r.value for recs in batch.values() for r in recs)
        return out[:limit]
    finally:
        await consumer.stop()


def decode_ceiling(values: list[bytes], seconds: float = 5.0) -> float:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for v in values:
            decode_event(v)
        done += len(values)
    return done / (time.perf_counter() - started)


#: the standard OpenTelemetry sampler settings of a production deployment that keeps 1 % of traces
#: (it follows the publishers' sampled flag: one event in a hundred gets a recorded span)
SAMPLED = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.01"}
#: every event gets a recorded span, whatever its publisher sampled (the worst case for tracing)
TRACED = {"OTEL_TRACES_SAMPLER": "always_on"}


def worker(
    stack: LocalStack, prefix: str, instances: int = 1, env: dict[str, str] | None = None
) -> list[dict[str, float]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.worker", "--prefix", prefix],
            cwd=ROOT,
            env={**stack.env, **(env or {})},
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(instances)
    ]
    out = []
    for p in procs:
        stdout, _ = p.communicate(timeout=6 * 3600)
        if p.returncode != 0:
            raise RuntimeError(f"bench worker failed ({p.returncode})")
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


async def naive_rate(kafka: str, mongodb: str, budget_events: int, budget_seconds: float) -> float:
    """A plain FastStream per-message handler: decode, one update per event, ack per message."""
    broker = KafkaBroker(kafka, logger=None)
    client: AsyncMongoClient = AsyncMongoClient(mongodb)
    col = client[f"naive_{uuid.uuid4().hex[:6]}"]["entities"]
    seen = {"n": 0, "first": 0.0, "last": 0.0}

    async def raw(msg: Any, original: Any = None) -> Any:
        return msg.body

    @broker.subscriber(
        *FOLDED,
        group_id=f"naive-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
        decoder=raw,
    )
    async def handle(body: Any) -> None:
        event = decode_event(body)
        await col.update_one(
            {"_id": f"{event.region}|{event.key}"},
            {"$addToSet": {"events": str(event.event_id)}, "$set": {"type": event.event_type}},
            upsert=True,
        )
        now = time.perf_counter()
        seen["first"] = seen["first"] or now
        seen["n"] += 1
        seen["last"] = now

    await broker.start()
    started = time.perf_counter()
    while seen["n"] < budget_events and time.perf_counter() - started < budget_seconds:
        await asyncio.sleep(0.5)
    await broker.stop()
    await client.close()
    return (seen["n"] - 1) / max(seen["last"] - seen["first"], 1e-9)


def _rate(run: dict[str, float]) -> float:
    return run["events"] / run["seconds"]


async def bench_fold(stack: LocalStack, scale: Scale, repeat: int) -> dict[str, Any]:
    """The three figures side by side. The machine's speed drifts by 10-20 % from one run to the
    next, so after a warm-up pass the service's two tracing set-ups run `repeat` times each,
    interleaved, and the medians are compared with the higher of two decode-only ceilings (one
    before, one after)."""
    n = await publish(stack.kafka, history(scale))
    say(f"fold: published {n} events ({scale.educators} educators)")
    values = await raw_values(stack.kafka, min(n, 50000))
    ceilings = [decode_ceiling(values)]
    say(f"fold: decode-only ceiling {ceilings[0]:,.0f} events/s")
    # the broker's JIT has compiled its produce path but not its fetch path yet: the first pass
    # over the topics ran 20-30 % slower than the next ones, so one untimed pass goes first
    warm = worker(stack, "bfoldw" + uuid.uuid4().hex[:6], env=SAMPLED)[0]
    say(f"fold: warm-up pass (not counted) {_rate(warm):,.0f} events/s")
    setups = {
        "traced": (TRACED, "every event's span recorded (OTEL_TRACES_SAMPLER=always_on)"),
        "sampled": (SAMPLED, "1 % of traces sampled (parentbased_traceidratio 0.01)"),
    }
    rates: dict[str, list[float]] = {name: [] for name in setups}
    for round_ in range(1, repeat + 1):
        for name, (env, what) in setups.items():
            run = worker(stack, f"bfold{name[0]}" + uuid.uuid4().hex[:6], env=env)[0]
            rates[name].append(_rate(run))
            say(
                f"fold: run {round_}/{repeat}: batched service {_rate(run):,.0f} events/s "
                f"({run['events']} events in {run['seconds']:.1f} s) - {what}"
            )
    naive = await naive_rate(stack.kafka, stack.mongodb, min(n, 20000), 60)
    say(f"fold: naive per-message handler {naive:,.0f} events/s")
    ceilings.append(decode_ceiling(values))
    ceiling = max(ceilings)
    say(f"fold: decode-only ceiling again {ceilings[1]:,.0f} events/s; the higher one is used")
    medians = {name: statistics.median(r) for name, r in rates.items()}
    result = {
        "events": n,
        "decode_only_per_s": ceiling,
        "decode_only_runs": ceilings,
        "naive_per_s": naive,
        "batched_per_s": medians["traced"],
        "batched_sampled_per_s": medians["sampled"],
        "runs_per_s": rates,
        "batched_vs_naive": medians["traced"] / naive,
        "sampled_vs_naive": medians["sampled"] / naive,
        "batched_vs_decode_ceiling": medians["traced"] / ceiling,
        "sampled_vs_decode_ceiling": medians["sampled"] / ceiling,
    }
    for name, (_, what) in setups.items():
        say(
            f"fold: median of {repeat}: {medians[name]:,.0f} events/s ({min(rates[name]):,.0f}-{max(rates[name]):,.0f})"
            f" - {what}"
        )
    say(
        f"fold: RATIO batched/naive = {result['batched_vs_naive']:.1f}x with every span recorded, "
        f"{result['sampled_vs_naive']:.1f}x with 1 % sampled; batched/decode-only = "
        f"{result['batched_vs_decode_ceiling']:.1%} with every span recorded, "
        f"{result['sampled_vs_decode_ceiling']:.1%} with 1 % of traces sampled"
    )
    return result


async def bench_latency(stack: LocalStack, rate: int, seconds: float) -> dict[str, Any]:
    """Publish single events at `rate`/s; visible = the indicators instance has folded and persisted it."""
    from services.indicators.entrypoints.app import build

    prefix = "blat" + uuid.uuid4().hex[:6]
    settings = Settings(
        service="indicators",
        kafka_bootstrap_servers=stack.kafka,
        mongodb_uri=stack.mongodb,
        mongodb_db_prefix=prefix,
        group_prefix=prefix,
        log_level="WARNING",
        batch_timeout_ms=20,
    )
    runtime = build(settings, gate=None)
    service = runtime.indicators
    consumer_start = AIOKafkaConsumer(bootstrap_servers=stack.kafka)
    await consumer_start.start()
    tps = await topic_partitions(stack.kafka, list(FOLDED))
    ends = await consumer_start.end_offsets(tps)
    await consumer_start.stop()
    await runtime.start()
    # first let it catch up with what is already there
    while any(service.positions.get((tp.topic, tp.partition), 0) < ends[tp] for tp in tps if ends[tp]):
        await asyncio.sleep(0.2)
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, acks="all", linger_ms=0)
    await producer.start()
    # a region of its own (RU-B90: no id shared with the fold's history), more events than needed
    events = iter(history(Scale(1, 6, 6, 40), seed=99, first_region=90))
    pending: dict[tuple[str, int], deque[tuple[int, float]]] = defaultdict(deque)  # per partition, by offset
    latencies: list[float] = []
    sending = True

    async def watch() -> None:
        """Every 2 ms: the events whose offset the service has folded and persisted are visible."""
        deadline = None
        while sending or any(pending.values()):
            now = time.perf_counter()
            deadline = deadline or (None if sending else now + 60)
            if deadline and now > deadline:
                return
            for tp, queue in pending.items():
                folded = service.positions.get(tp, 0)
                while queue and queue[0][0] < folded:
                    latencies.append(now - queue.popleft()[1])
            await asyncio.sleep(0.002)

    watcher = asyncio.create_task(watch())
    started = time.perf_counter()
    i = 0
    while time.perf_counter() - started < seconds:
        event = next(events)
        sent_at = time.perf_counter()
        meta = await (await producer.send(str(topic_of(event)), event.to_bytes(), key=event.key.encode()))
        pending[(meta.topic, meta.partition)].append((meta.offset, sent_at))
        i += 1
        await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
    sending = False
    await watcher
    await producer.stop()
    await runtime.stop()
    q = statistics.quantiles(latencies, n=100)
    result = {
        "rate_per_s": i / seconds,
        "events": i,
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
        "p99_ms": q[98] * 1000,
        "not_visible": sum(len(q) for q in pending.values()),
    }
    say(
        f"latency: {result['rate_per_s']:.0f} events/s sustained: p50 {result['p50_ms']:.0f} ms, "
        f"p95 {result['p95_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms ({result['not_visible']} not visible after 60 s)"
    )
    return result


async def full_tables(mongodb: str, prefix: str, regions: list[str], as_of: date) -> dict[str, Any]:
    client: AsyncMongoClient = AsyncMongoClient(mongodb)
    try:
        states, _ = await IndicatorStore(client[f"{prefix}_indicators"]).load()
    finally:
        await client.close()
    targets = Targets({})
    return {r: [v.model_dump(mode="json") for v in compute(states[r], as_of, targets.for_region(r))] for r in regions}


async def bench_scale(stack: LocalStack, scale: Scale) -> dict[str, Any]:
    from bench.history import TODAY, region_code

    results: dict[str, Any] = {}
    tables = {}
    warm = worker(stack, "bscalew" + uuid.uuid4().hex[:4], env=SAMPLED)[0]  # the broker's fetch path, see fold
    say(f"scale: warm-up pass (not counted) {_rate(warm):,.0f} events/s")
    for instances in (1, 2, 3):
        prefix = f"bscale{instances}" + uuid.uuid4().hex[:4]
        runs = worker(stack, prefix, instances, env=SAMPLED)
        events = sum(r["events"] for r in runs)
        seconds = max(r["seconds"] for r in runs)
        results[str(instances)] = {
            "events": events,
            "seconds": seconds,
            "per_s": events / seconds,
            "per_instance": [r["events"] for r in runs],
        }
        tables[instances] = await full_tables(
            stack.mongodb, prefix, [region_code(i) for i in range(scale.regions)], TODAY
        )
        say(f"scale: {instances} instance(s): {events / seconds:,.0f} events/s, split {[r['events'] for r in runs]}")
    results["identical_indicators"] = tables[1] == tables[2] == tables[3]
    say(
        f"scale: indicators identical for 1, 2, 3 instances: {results['identical_indicators']}; "
        f"RATIO 2/1 = {results['2']['per_s'] / results['1']['per_s']:.2f}, "
        f"3/1 = {results['3']['per_s'] / results['1']['per_s']:.2f}"
    )
    return results


async def bench_replay(stack: LocalStack, scale: Scale) -> dict[str, Any]:
    started = time.perf_counter()
    n = await publish(stack.kafka, history(scale, seed=3))
    say(
        f"replay: generated and published {n:,} events for {scale.educators:,} educators "
        f"in {time.perf_counter() - started:.0f} s"
    )
    # the rebuild itself: passport snapshots are taken on demand afterwards, not every 5 minutes during it
    run = worker(stack, "breplay" + uuid.uuid4().hex[:6], env={**SAMPLED, "RSNMS_SNAPSHOT_INTERVAL_S": "0"})[0]
    result = {
        "events": run["events"],
        "educators": scale.educators,
        "seconds": run["seconds"],
        "per_s": run["events"] / run["seconds"],
        "peak_rss_mb": run["peak_rss_mb"],
    }
    say(
        f"replay: rebuilt from scratch {run['events']:,} events in {run['seconds']:.0f} s = "
        f"{result['per_s']:,.0f} events/s, peak memory {run['peak_rss_mb']:.0f} MB"
    )
    return result


async def bench_pipeline(stack: LocalStack, args: argparse.Namespace) -> dict[str, Any]:
    from bench.pipeline import fold_only, per_event, run_pipeline

    base = int(os.environ.get("RSNMS_BENCH_HTTP_PORT", "21400"))
    # the ratio to the fold and the services alone are region-scale figures (issue 13);
    # RSNMS_BENCH_FOLD=0: the latency alone, when tuning it
    fold_skipped = args.scale == "national" or os.environ.get("RSNMS_BENCH_FOLD") == "0"
    result = await run_pipeline(
        stack.kafka,
        stack.mongodb,
        args.scale,
        ROOT / ".stack-bench" / "pipeline",
        range(base, base + 4 * args.instances),
        instances=args.instances,
        rate=args.rate if args.what == "pipeline" and args.rate else 0,
        seconds=args.seconds,
        env=stack.env,
        regions=[f"RU-P{r:02d}" for r in range(args.regions)] if args.regions else None,
        alone=() if fold_skipped else ("registry", "diagnostics", "routes"),
        warmup=(0.0 if args.scale == "quick" else 60.0) if args.warmup is None else args.warmup,
    )
    if fold_skipped:
        return result
    # counted as the services alone are: every event read from its topics, folded or passed over
    figures = fold_only({**stack.env, **SAMPLED})
    fold = {**figures, "events": figures["read"], "folded": figures["events"]}
    result["fold_only"] = {**fold, "per_s": _rate(fold)}
    result["end_to_end_vs_fold"] = result["end_to_end_per_s"] / result["fold_only"]["per_s"]
    # the same comparison by the time each takes over the same region's data: the fold's events
    # include those the platform derives (about 1.2 per inbound event)
    result["fold_seconds_vs_end_to_end"] = fold["seconds"] / result["seconds"]
    say(
        f"pipeline: the indicators fold alone over the same topics (same run): {_rate(fold):,.0f} events/s, "
        f"{per_event(fold)}; "
        f"RATIO end-to-end inbound/fold-only = {result['end_to_end_vs_fold']:.2f}"
    )
    say(
        f"pipeline: the same data took the fold alone {fold['seconds']:.1f} s and the four services "
        f"{result['seconds']:.1f} s: {result['fold_seconds_vs_end_to_end']:.2f}"
    )
    return result


async def main_async(args: argparse.Namespace) -> None:
    scale = SCALES[args.scale]
    kafka, controller, ferretdb = (int(p) for p in os.environ.get("RSNMS_BENCH_PORTS", "19192,19193,17117").split(","))
    stack = LocalStack(
        "bench",
        kafka,
        controller,
        ferretdb,
        partitions=args.partitions,
        env={**os.environ, "KAFKA_HEAP": "-Xmx1g -Xms256m"},
    )
    # SIGTERM (`kill`) ends the bench as Ctrl-C does: its task cancelled, the services and the
    # stack stopped on the way out
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    say(f"bench: starting a private stack ({stack.kafka}, {stack.mongodb})")
    stack.fresh_up()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"scale": args.scale}
    try:
        if args.what in ("fold", "all"):
            out["fold"] = await bench_fold(stack, scale, args.repeat)
        if args.what in ("latency", "all"):
            out["latency"] = await bench_latency(stack, args.rate, args.seconds)
        if args.what in ("scale", "all"):
            if "fold" not in out:
                await publish(stack.kafka, history(scale))
            out["scale"] = await bench_scale(stack, scale)
        if args.what == "replay":
            out["replay"] = await bench_replay(stack, scale)
        if args.what == "pipeline":
            out["pipeline"] = await bench_pipeline(stack, args)
        if args.what == "portal":
            from bench.portal import bench_portal

            out["portal"] = await bench_portal(stack, publish)
    finally:
        stack.down()
    regions = f"-{args.regions}regions" if args.what == "pipeline" and args.regions else ""
    path = RESULTS / f"{args.what}-{args.scale}{regions}.json"
    path.write_text(json.dumps(out, indent=2))
    say(f"bench: results in {path.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "what",
        nargs="?",
        default="all",
        choices=["fold", "latency", "scale", "replay", "pipeline", "portal", "all"],
    )
    parser.add_argument("--scale", default="region", choices=sorted(SCALES))
    parser.add_argument("--rate", type=int, default=None, help="latency: events per second (200; pipeline: 500)")
    parser.add_argument("--instances", type=int, default=1, help="pipeline: instances of each service")
    parser.add_argument("--regions", type=int, default=None, help="pipeline: generated regions (national: 89)")
    parser.add_argument("--partitions", type=int, default=6, help="partitions of every topic")
    parser.add_argument("--seconds", type=float, default=20, help="latency: how long to publish")
    parser.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="pipeline: seconds of traffic on a scratch topic before the clock, so that the fresh broker has "
        "compiled its hot paths (region and national: 60; quick: 0)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="fold: runs of each tracing set-up (medians compared)")
    args = parser.parse_args()
    args.rate = args.rate if args.rate is not None else (500 if args.what == "pipeline" else 200)
    try:
        asyncio.run(main_async(args))
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C, SIGTERM: the stack is down already
        say("bench: stopped before its end")
        sys.exit(130)


if __name__ == "__main__":
    main()
