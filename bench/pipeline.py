"""The whole platform under load: inbound events as the outside systems publish them (signed,
with the platform's headers), the four services as separate processes, and what each stage
does with them.

    python -m bench pipeline --scale quick|region|national [--instances N]

1. A generated region (`demo.generator`, the `make run` generator) is published: the ЦНППМ's
   registry facts and the assessment platform's results back to back, then, once the routes
   service has built the routes, the providers' reports on them (enrolments, completions,
   activities, management-team training), as `demo.feed` does for `make run`.
2. Every 0.25 s the committed offsets of each service's consumer group are read from the broker:
   a service's events/s is what its group committed from its first to its last progress; the
   end-to-end rate is the inbound events over the time from the first publish until the
   indicators group has committed everything.
3. The indicators fold alone (`bench.worker`, a fresh consumer group) then replays the same
   topics in the same run, the figure the end-to-end rate is compared with; so do the registry,
   diagnostics and routes services, one at a time (`bench.alone`), each service's cost per event
   without the others competing for the cores.
4. Latency: once the platform is at rest (`at_rest`: its processes quiet, every live table
   published), a second region is published at a sustained rate (registrations, then diagnostic
   results); an event is visible when the indicators group has committed the platform's event
   that carries it (the re-published fact, the diagnosis, the route built from it).

Before the clock the fresh broker is warmed on a scratch topic for `warmup` seconds
(`bench.warmup`).

Peak memory (VmHWM) of every service process is read before it is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import pickle
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pydantic_core
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.warmup import warm_broker
from contracts import (
    INBOUND_TOPICS,
    TOPIC_EVENTS,
    ContractError,
    DiagnosticResultSubmitted,
    Event,
    RouteAssigned,
    Topic,
    decode_event,
    inbound_topic_of,
)
from contracts.envelope import built_from_checked_text
from demo.competencies import framework_competencies
from demo.generator import Region, RegionGenerator, RegionSpec
from rsnms_runtime.compression import compress, decompress
from rsnms_runtime.consumer import header
from rsnms_runtime.kafka import event_headers
from rsnms_runtime.localstack import ROOT, start_service
from rsnms_runtime.partitioner import KeyPartitioner
from rsnms_runtime.partitions import topic_partitions
from rsnms_runtime.producing import OutRecord, send_batched
from rsnms_runtime.sources import signed_headers
from services.indicators.entrypoints.app import INPUTS as INDICATORS_INPUTS
from services.routes.entrypoints.app import INPUTS as ROUTES_INPUTS

SERVICES = ("registry", "diagnostics", "routes", "indicators")
#: the topics each service's consumer group reads
INPUTS = {
    "registry": (str(Topic.REGISTRY_SUBMITTED),),
    "diagnostics": (str(Topic.DIAGNOSTIC_RESULTS),),
    "routes": tuple(str(t) for t in ROUTES_INPUTS),
    "indicators": tuple(str(t) for t in INDICATORS_INPUTS),
}
AS_OF = date(2025, 11, 30)
#: sizes of the demo generator: quick ~1,200 inbound events, region ~128,000 (one large region,
#: ~34,000 educators), national = 89 regions of 26 municipalities each (~12,400 educators and
#: ~47,000 inbound events per region, ~1.1 million educators in all, as docs/domain.md counts them)
SPECS = {
    "quick": RegionSpec(
        municipalities=3, schools_per_municipality=(3, 5), educators_per_school=(8, 16), programs=24, seed=11
    ),
    "region": RegionSpec(
        municipalities=70, schools_per_municipality=(12, 22), educators_per_school=(20, 36), programs=60, seed=11
    ),
}
NATIONAL_REGIONS = 89
NATIONAL_MUNICIPALITIES = 26
#: the region published at a sustained rate for the latency (~10,000 registry facts and ~2,600 results)
LATENCY_SPEC = RegionSpec(region="RU-LAT", municipalities=25, today=AS_OF, seed=99)
#: the region whose records warm the broker on a scratch topic (`bench.warmup`); never published
WARMUP_SPEC = RegionSpec(region="RU-WRM", municipalities=25, today=AS_OF, seed=7)


#: regions whose live table the indicators have not yet published as folded
TABLES_BEHIND = "rsnms_live_tables_behind"
#: the services' garbage collector pauses, seconds (rsnms_runtime.gcwatch)
GC_PAUSES = "rsnms_gc_pause_seconds_sum"


def say(line: str) -> None:
    print(line, flush=True)


def spec_for(scale: str, region: str, seed: int | None = None) -> RegionSpec:
    base = SPECS["region" if scale == "national" else scale]
    spec = RegionSpec(
        region=region,
        municipalities=NATIONAL_MUNICIPALITIES if scale == "national" else base.municipalities,
        schools_per_municipality=base.schools_per_municipality,
        educators_per_school=base.educators_per_school,
        programs=base.programs,
        today=AS_OF,
        seed=base.seed if seed is None else seed,
    )
    return national_history(spec) if scale == "national" else spec


def national_history(spec: RegionSpec) -> RegionSpec:
    """A national region's educators as three years of onboarding leave them: nearly all diagnosed
    within three months of registration, then assessed again every four to ten months while the
    assessments go on (up to five sessions; a repeat with deficits left brings a new route), each
    route reported on: ~8.5 inbound events per educator, ~9.3 million in the country. The region
    scale keeps the demo's thinner mix (~3.7 per educator)."""
    return replace(spec, diagnosed_share=0.95, repeat_share=0.9, sessions=5, first_within=90)


def outbound(event: Event, keys: dict[str, bytes]) -> OutRecord:
    """The event as its system sends it: encoded, on its inbound topic, signed."""
    topic, value, key = str(inbound_topic_of(event)), event.to_bytes(), event.key.encode()
    headers = event_headers(event) | signed_headers(event.source, keys[event.source], topic, key, value)
    return topic, value, key, [(k, v.encode()) for k, v in headers.items()]


@dataclass
class Outbox:
    """A region's registry facts and diagnostic results as its systems hold them ready to send:
    encoded and signed (`outbound`)."""

    region: Region
    registry: list[OutRecord]
    diagnostics: list[OutRecord]
    educators: int = 0

    @classmethod
    def of(cls, region: Region, keys: dict[str, bytes]) -> Outbox:
        return cls(
            region,
            [outbound(e, keys) for e in region.registry],
            [outbound(e, keys) for e in region.diagnostics],
            sum(1 for e in region.registry if e.event_type == "EducatorRegistered"),
        )


@dataclass
class SpooledOutbox:
    """An outbox written to disk (`spool`): what the reports need of its region stays in memory,
    the records are read back when the region's turn comes and the file removed."""

    region: Region
    path: Path
    educators: int

    def load(self) -> Outbox:
        registry, diagnostics = pickle.loads(decompress(self.path.read_bytes()))
        self.path.unlink()
        return Outbox(self.region, registry, diagnostics, self.educators)


def spool_one(spec: RegionSpec, keys: dict[str, bytes], directory: Path) -> SpooledOutbox:
    """Generate one region and write its outbox to `directory` (in a worker process)."""
    box = Outbox.of(RegionGenerator(spec, framework_competencies()).generate(), keys)
    path = directory / f"{spec.region}.outbox"
    path.write_bytes(compress(pickle.dumps((box.registry, box.diagnostics), protocol=pickle.HIGHEST_PROTOCOL)))
    r = box.region
    light = Region(spec, team_ids=r.team_ids, programs=r.programs, methodist_left=r.methodist_left)
    return SpooledOutbox(light, path, box.educators)


def spool(specs: Sequence[RegionSpec], keys: dict[str, bytes], directory: Path) -> list[SpooledOutbox]:
    """The outboxes of many regions on disk, made by as many processes as there are cores: a
    national feed's outside systems hold their data ready before the clock starts, as the
    region scale's do in memory (the country's encoded events do not fit in memory)."""
    directory.mkdir(parents=True, exist_ok=True)
    spawn = multiprocessing.get_context("spawn")  # no fork of a process running an event loop
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=spawn) as pool:
        return list(pool.map(spool_one, specs, [keys] * len(specs), [directory] * len(specs)))


class Publisher:
    """An outside system's producer: signed inbound events, acks=all, handed to the producer as
    record batches (`send_batched`) in windows of `window` records whose acks are awaited before
    the next window (bounded memory and no producer timeout, whatever the number of events)."""

    def __init__(self, kafka: str, keys: dict[str, bytes], window: int = 2000):
        self._kafka, self._keys, self._window = kafka, keys, window
        self._producer: AIOKafkaProducer | None = None
        self._partitioner = KeyPartitioner()

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._kafka,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_batch_size=256 * 1024,
            # Kafka's partitioner, as the platform's producers compute it (aiokafka's costs twice as much)
            partitioner=self._partitioner,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def send(self, event: Event) -> Any:
        """Send one event; returns the future of its record metadata."""
        return await self.send_record(outbound(event, self._keys))

    async def send_record(self, record: OutRecord) -> Any:
        """Send one record made by `outbound`; returns the future of its record metadata."""
        assert self._producer is not None
        topic, value, key, headers = record
        return await self._producer.send(topic, value, key=key, headers=headers)

    async def publish(self, events: Iterable[Event]) -> int:
        return await self.publish_records(outbound(event, self._keys) for event in events)

    async def publish_records(self, records: Iterable[OutRecord]) -> int:
        """Send records made by `outbound` (an outbox prepared beforehand, or as they are made)."""
        assert self._producer is not None
        n, window = 0, list[OutRecord]()
        for record in records:
            window.append(record)
            if len(window) >= self._window:
                n += await self._flush(window)
        return n + await self._flush(window)

    async def _flush(self, window: list[OutRecord]) -> int:
        n = len(window)
        if window:
            await asyncio.gather(*await send_batched(self._producer, self._partitioner, window))
            window.clear()
        return n


def stat_cpu_seconds(stat: Path) -> float:
    """CPU time (user + system) in a `/proc` stat file of a process or a thread, 0 once it is gone."""
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds_of(pid: int) -> float:
    """CPU time (user + system) a process has used, 0 once it is gone."""
    return stat_cpu_seconds(Path(f"/proc/{pid}/stat"))


def stack_pid(env: dict[str, str], name: str) -> int | None:
    """The process id of the "kafka" or "ferretdb" of the stack `env` names (RSNMS_STACK_DIR)."""
    with contextlib.suppress(OSError, ValueError, KeyError):
        return int(Path(env["RSNMS_STACK_DIR"], f"{name}.pid").read_text())
    return None


def stack_cpu_seconds(env: dict[str, str]) -> dict[str, float]:
    """CPU time used so far by the Kafka and FerretDB of the stack `env` names."""
    pids = {name: stack_pid(env, name) for name in ("kafka", "ferretdb")}
    return {name: cpu_seconds_of(pid) for name, pid in pids.items() if pid is not None}


#: the threads of a JVM that compile (HotSpot's thread names, cut to 15 characters by Linux)
COMPILER_THREADS = ("C1 CompilerThre", "C2 CompilerThre")


def jit_cpu_seconds(pid: int) -> float:
    """CPU time the JIT compiler threads of the JVM `pid` have used (0 once it is gone): a fresh
    Kafka compiles for minutes under load, inside a run (docs/benchmarks/pipeline.md, session 11)."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            if (task / "comm").read_text().strip() in COMPILER_THREADS:
                total += stat_cpu_seconds(task / "stat")
    return total


class Services:
    """The four services as separate processes (`python -m services.<name>`), `instances` of
    each in one consumer group."""

    def __init__(self, env: dict[str, str], workdir: Path, http_ports: Iterable[int], instances: int = 1):
        self.env, self.workdir, self.instances = env, workdir, instances
        ports = iter(http_ports)
        self.ports = {(name, i): next(ports) for name in SERVICES for i in range(instances)}
        self.procs: dict[tuple[str, int], subprocess.Popen[bytes]] = {}

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for (name, i), port in self.ports.items():
            log = open(self.workdir / f"{name}-{i}.log", "ab")  # noqa: SIM115 - lives as long as the process
            self.procs[(name, i)] = start_service(name, self.env, port, log)

    def profile(self, directory: Path, seconds: int) -> list[subprocess.Popen[bytes]]:
        """py-spy (pip install py-spy) sampling every service process for `seconds`, raw
        folded stacks in `directory`/<service>-<instance>.txt."""
        directory.mkdir(parents=True, exist_ok=True)
        spy = Path(sys.executable).with_name("py-spy")
        return [
            subprocess.Popen(
                [
                    str(spy),
                    "record",
                    "--nonblocking",
                    "-r",
                    "50",
                    "-f",
                    "raw",
                    "-d",
                    str(seconds),
                    "-p",
                    str(proc.pid),
                    "-o",
                    str(directory / f"{name}-{i}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for (name, i), proc in self.procs.items()
        ]

    def url(self, name: str, path: str, instance: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[(name, instance)]}{path}"

    def get(self, name: str, path: str, instance: int = 0, timeout: float = 60) -> bytes:
        with urllib.request.urlopen(self.url(name, path, instance), timeout=timeout) as response:
            return response.read()

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        for (name, i), proc in self.procs.items():
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name}-{i} exited with {proc.returncode}:\n{self.log(name, i)}")
                try:
                    if b'"ready":true' in self.get(name, "/health/ready", i, timeout=5).replace(b" ", b""):
                        break
                except (urllib.error.URLError, OSError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name}-{i} not ready:\n{self.log(name, i)}")
                time.sleep(0.3)

    def log(self, name: str, instance: int = 0, lines: int = 40) -> str:
        path = self.workdir / f"{name}-{instance}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def peak_memory_mb(self, field: str = "VmHWM") -> dict[str, float]:
        """The highest resident set size of each service (the largest of its instances), in MB;
        `field="VmRSS"`: the present one."""
        out: dict[str, float] = {}
        for (name, _), proc in self.procs.items():
            try:
                status = Path(f"/proc/{proc.pid}/status").read_text()
            except OSError:
                continue
            kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith(f"{field}:")), 0)
            out[name] = max(out.get(name, 0.0), kb / 1024)
        return out

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by each service (summed over its instances) and
        by the stack's Kafka and FerretDB."""
        out: dict[str, float] = {}
        for (name, _), proc in self.procs.items():
            out[name] = out.get(name, 0.0) + cpu_seconds_of(proc.pid)
        return out | stack_cpu_seconds(self.env)

    def samples(self, metric: str, services: Sequence[str] = SERVICES) -> dict[str, list[float]]:
        """Every sample of a Prometheus metric (its lines, whatever their labels) that the
        instances of each of `services` expose."""
        out: dict[str, list[float]] = {}
        for name, i in self.procs:
            if name in services:
                text = self.get(name, "/metrics", i).decode()
                out.setdefault(name, []).extend(
                    float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(metric)
                )
        return out

    def metric(self, counter: str) -> dict[str, float]:
        """A Prometheus counter (or a histogram's `_sum`) summed over every instance of each service."""
        return {name: sum(values) for name, values in self.samples(counter).items()}

    def tables_behind(self) -> int | None:
        """Regions whose live table the indicators have not yet published as folded
        (`rsnms_live_tables_behind`, summed over the instances); None when none says."""
        said = self.samples(TABLES_BEHIND, ("indicators",)).get("indicators")
        return int(sum(said)) if said else None

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


async def committed_offsets(admin: Any, group: str, coordinators: dict[str, int]) -> dict[TopicPartition, Any]:
    """The group's committed offsets, asking its coordinator directly once it is known (aiokafka
    looks the coordinator up again on every call unless told: two requests per poll, and the
    bench polls often on the broker the services share)."""
    if group not in coordinators:
        coordinators[group] = await admin.find_coordinator(group)
    try:
        return await admin.list_consumer_group_offsets(group, group_coordinator_id=coordinators[group])
    except Exception:
        coordinators.pop(group, None)  # moved, or not there yet: looked up again next time
        raise


@dataclass
class GroupWatch:
    """Samples the committed offsets of every service's consumer group (summed over its
    partitions) and the end offsets of its input topics. `pause` stops the sampling (the latency
    phase does not use it, and its requests load the broker the services share)."""

    kafka: str
    prefix: str
    every: float = 0.25
    #: service -> [(monotonic time, committed total)]
    samples: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    ends: dict[str, int] = field(default_factory=dict)
    _admin: Any = None
    _probe: Any = None
    _task: Any = None
    _tps: list[TopicPartition] = field(default_factory=list)
    _coordinators: dict[str, int] = field(default_factory=dict)

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.kafka)
        self._probe = AIOKafkaConsumer(bootstrap_servers=self.kafka, enable_auto_commit=False)
        await self._admin.start()
        await self._probe.start()
        self._tps = await topic_partitions(self.kafka, sorted({t for ts in INPUTS.values() for t in ts}))
        self._task = asyncio.create_task(self._loop())

    async def pause(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def stop(self) -> None:
        await self.pause()
        await self._probe.stop()
        await self._admin.close()

    async def committed(self, service: str) -> tuple[int, int]:
        """(committed, end) summed over the partitions of the service's input topics."""
        offsets = await committed_offsets(self._admin, f"{self.prefix}.{service}", self._coordinators)
        tps = [tp for tp in self._tps if tp.topic in INPUTS[service]]
        ends = await self._probe.end_offsets(tps) if tps else {}
        done = sum(meta.offset for tp, meta in offsets.items() if tp.topic in INPUTS[service] and meta.offset > 0)
        return done, sum(ends.values())

    async def _loop(self) -> None:
        topics = sorted({t for ts in INPUTS.values() for t in ts})
        while True:
            if len({tp.topic for tp in self._tps}) < len(topics):  # topics appear during the run
                self._tps = await topic_partitions(self.kafka, topics)
            for service in SERVICES:
                try:
                    done, end = await self.committed(service)
                except Exception:  # noqa: BLE001 - a group not yet there, a rebalance
                    continue
                self.samples.setdefault(service, []).append((time.monotonic(), done))
                self.ends[service] = end
            await asyncio.sleep(self.every)

    async def caught_up(self, services: Sequence[str], timeout: float, settle: float = 0.0) -> float:
        """Wait until each service's group has committed everything in its inputs (in order: the
        output of one is the input of the next); the moment the last one got there."""
        deadline = time.monotonic() + timeout
        for service in services:
            while True:
                done, end = await self.committed(service)
                if end and done >= end:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{service} did not catch up in {timeout:.0f} s ({done}/{end})")
                await asyncio.sleep(0.1)
        if settle:
            await asyncio.sleep(settle)
        return time.monotonic()

    def rate(self, service: str, since: float) -> dict[str, float]:
        """Events the group committed after `since` and the time from its first to its last progress."""
        points = [(t, n) for t, n in self.samples.get(service, []) if t >= since]
        if len(points) < 2:
            return {"events": 0, "seconds": 0.0, "per_s": 0.0}
        base = points[0][1]
        moving = [(t, n) for t, n in points if n > base]
        if not moving:
            return {"events": 0, "seconds": 0.0, "per_s": 0.0}
        first = max(t for t, n in points if n == base)  # the last sample before it moved
        last_t, last_n = min(((t, n) for t, n in moving if n == moving[-1][1]), key=lambda p: p[0])
        seconds = last_t - first
        return {"events": last_n - base, "seconds": seconds, "per_s": (last_n - base) / max(seconds, 1e-9)}


async def read_events(kafka: str, topics: Sequence[str], region: str | None = None) -> list[Event]:
    """Every event on the topics from the beginning (optionally of one region)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = await topic_partitions(kafka, list(topics))
        ends = await consumer.end_offsets(tps)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        out: list[Event] = []
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10000)
            for tp, records in batch.items():
                for rec in records:
                    try:
                        event = decode_event(rec.value)
                    except ContractError:
                        continue
                    if region is None or event.region == region:
                        out.append(event)
                if records and records[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        return out
    finally:
        await consumer.stop()


def policy_file(path: Path, keys: dict[str, bytes]) -> Path:
    inbound = sorted(k for t in INBOUND_TOPICS for k in TOPIC_EVENTS[t])
    path.write_text(yaml.safe_dump({"sources": {s: {"events": inbound, "regions": ["*"]} for s in keys}}))
    return path


@dataclass
class Fed:
    regions: list[Region]
    progress: list[Event]
    published: int
    educators: int = 0


class Pipeline:
    """One run: services up on a stack, a region fed through them, figures read."""

    def __init__(
        self,
        kafka: str,
        mongodb: str,
        workdir: Path,
        http_ports: Iterable[int],
        instances: int = 1,
        base_env: dict[str, str] | None = None,
        extra_env: dict[str, str] | None = None,
    ):
        self.kafka, self.mongodb, self.workdir = kafka, mongodb, workdir
        self.prefix = "pl" + uuid.uuid4().hex[:8]
        self.keys: dict[str, bytes] = {}
        workdir.mkdir(parents=True, exist_ok=True)
        self._base_env = {**(base_env or os.environ), "KAFKA_BOOTSTRAP_SERVERS": kafka, "MONGODB_URI": mongodb}
        self._extra_env = extra_env or {}
        self._http_ports = list(http_ports)
        self.instances = instances
        self.services: Services | None = None
        self.watch = GroupWatch(kafka, self.prefix)

    def generators(self, specs: Sequence[RegionSpec]) -> list[RegionGenerator]:
        gens = [RegionGenerator(s, framework_competencies()) for s in specs]
        for g in gens:
            for source in g.sources:
                self.keys.setdefault(source, secrets.token_hex(16).encode())
        return gens

    async def start(self) -> None:
        env = {
            **self._base_env,
            "RSNMS_DB_PREFIX": self.prefix,
            "RSNMS_GROUP_PREFIX": self.prefix,
            # RSNMS_BENCH_LOG_LEVEL=INFO: each batch's stage timings in the services' logs
            "LOG_LEVEL": os.environ.get("RSNMS_BENCH_LOG_LEVEL", "WARNING"),
            "RSNMS_SOURCE_KEYS": ",".join(f"{s}={k.decode()}" for s, k in self.keys.items()),
            "RSNMS_SOURCE_POLICY": str(policy_file(self.workdir / "sources.yaml", self.keys)),
            "RSNMS_SNAPSHOT_INTERVAL_S": "0",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.01",
            **self._extra_env,
        }
        #: what the services were started with (the replays of `service_alone` need the same)
        self.env = env
        self.services = Services(env, self.workdir, self._http_ports, self.instances)
        self.services.start()
        await asyncio.to_thread(self.services.wait_ready)
        await self.watch.start()

    async def stop(self) -> None:
        await self.watch.stop()
        if self.services is not None:
            self.services.stop()

    async def feed(
        self,
        gens: Sequence[RegionGenerator],
        timeout: float,
        log: Callable[[str], None] = say,
        keep: bool = True,
        outboxes: Sequence[Outbox | SpooledOutbox] | None = None,
    ) -> Fed:
        """Registry facts and diagnostic results region after region, while the providers report
        on each route as it appears on the routes topic (`Reporter`), then the management teams'
        training. Regions without an outbox prepared beforehand (in memory or spooled to disk) are
        generated and encoded just before they are published; without `keep` a region's published
        events are dropped at once (what the reports need stays), so a national feed never holds
        the country in memory."""
        publisher = Publisher(self.kafka, self.keys)
        reporter = Reporter(self.kafka, self.keys, {g.spec.region: g for g in gens}, keep)
        await publisher.start()
        await reporter.start()
        regions: list[Region] = []
        n = educators = 0
        try:
            for i, g in enumerate(gens):
                prepared = outboxes[i] if outboxes else None
                if isinstance(prepared, SpooledOutbox):
                    prepared = prepared.load()
                box = prepared or Outbox.of(g.generate(), self.keys)
                region = box.region
                n += await publisher.publish_records(box.registry)
                n += await publisher.publish_records(box.diagnostics)
                educators += box.educators
                del box, prepared
                if not keep:
                    region.registry, region.diagnostics, region.snils, region.people = [], [], {}, {}
                regions.append(region)
            log(f"pipeline: published {n:,} registry facts and diagnostic results")
            await self.watch.caught_up(("registry", "diagnostics", "routes"), timeout)
            routes, reports = await reporter.finish()
            log(f"pipeline: the platform built {routes:,} routes; {reports:,} reports on them published meanwhile")
            progress = list(reporter.published)
            for g, r in zip(gens, regions, strict=True):
                teams = g.team_progress(r, reporter.rngs[r.spec.region])
                n += await publisher.publish(teams)
                progress.extend(teams if keep else ())
            n += reports
            log(f"pipeline: published {n:,} inbound events in all")
        finally:
            await reporter.stop()
            await publisher.stop()
        return Fed(regions, progress, n, educators)


ROUTE_ASSIGNED = RouteAssigned.model_fields["event_type"].default.encode()


class Reporter:
    """The providers: they read the routes topic from its beginning and report on each route as it
    appears (enrolments, completions, activities: `RegionGenerator.route_progress`), as they would
    on a platform that is running, instead of waiting for the whole region's routes."""

    def __init__(self, kafka: str, keys: dict[str, bytes], gens: dict[str, RegionGenerator], keep: bool):
        self._kafka, self._gens, self._keep = kafka, gens, keep
        self._publisher = Publisher(kafka, keys)
        self.rngs = {region: g.progress_rng() for region, g in gens.items()}
        self.published: list[Event] = []
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._until: dict[TopicPartition, int] | None = None
        self.routes = self.reports = 0

    async def start(self) -> None:
        await self._publisher.start()
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self._kafka, enable_auto_commit=False)
        await self._consumer.start()
        tps = await topic_partitions(self._kafka, [str(Topic.ROUTES)])
        self._consumer.assign(tps)
        await self._consumer.seek_to_beginning(*tps)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self._consumer is not None
        positions: dict[TopicPartition, int] = {}
        while True:
            batch = await self._consumer.getmany(timeout_ms=100, max_records=5000)
            reports: list[Event] = []
            for tp, records in batch.items():
                for rec in records:
                    positions[tp] = rec.offset + 1
                    # a provider reads the routes only, and knows them by their header (decoding
                    # every event of the topic was about a seventh of this process's CPU)
                    if header(rec, "event_type") != ROUTE_ASSIGNED:
                        continue
                    try:
                        event = decode_event(rec.value)
                    except ContractError:
                        continue
                    if isinstance(event, RouteAssigned) and event.region in self._gens:
                        self.routes += 1
                        # built from the route just decoded (its text checked) and the generator's
                        # own data: not walked for control characters again (a tenth of this CPU)
                        with built_from_checked_text():
                            reports += self._gens[event.region].route_progress(event, self.rngs[event.region])
            if reports:
                self.reports += await self._publisher.publish(reports)
                if self._keep:
                    self.published.extend(reports)
            if self._until is not None and all(positions.get(tp, 0) >= end for tp, end in self._until.items()):
                return

    async def finish(self) -> tuple[int, int]:
        """Once every route is on the topic: report on those not reported yet, then stop; the
        routes seen and the reports published."""
        assert self._consumer is not None and self._task is not None
        self._until = dict(await self._consumer.end_offsets(list(self._consumer.assignment())))
        await self._task
        return self.routes, self.reports

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self._consumer is not None:
            await self._consumer.stop()
        await self._publisher.stop()


def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "n": len(values)}
    q = statistics.quantiles(values, n=100)
    return {"p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000, "p99_ms": q[98] * 1000, "n": len(values)}


def timeline(samples: Iterable[tuple[float, float]], started: float) -> list[dict[str, float]]:
    """Per second of the latency phase (by when the events were sent): how many became visible,
    their median and their slowest, so that a tail can be told from a stall and matched to the
    services' logs (`at_s` counts from the phase's start)."""
    seconds: dict[int, list[float]] = {}
    for sent_at, waited in samples:
        seconds.setdefault(int(sent_at - started), []).append(waited)
    return [
        {"at_s": at, "n": len(v), "p50_ms": statistics.median(v) * 1000, "max_ms": max(v) * 1000}
        for at, v in sorted(seconds.items())
    ]


def stalls(rows: list[dict[str, float]], over_ms: float = 1000) -> str:
    """The seconds of the phase whose slowest event waited more than `over_ms`."""
    slow = [r for r in rows if r["max_ms"] > over_ms]
    return ", ".join(f"+{r['at_s']:.0f} s ({r['max_ms']:,.0f} ms)" for r in slow) or "none"


#: the platform is at rest when its processes (the services, Kafka, FerretDB) together use less
#: than this share of one core over a second (with nothing arriving they use ~17 %, session 12),
#: and the indicators have published every region's live table as folded
AT_REST_SHARE = 0.3
#: how long the latency phase waits for it (a national state's 89 tables can take minutes)
AT_REST_LONGEST = 60.0


async def at_rest(services: Services, longest: float = 60.0, every: float = 1.0) -> float:
    """Wait until the platform has done what the last phase left it, `longest` at most: the
    seconds waited. A sustained rate is measured on a platform at rest, not in the wake of a
    burst: a large region's live table is recomputed up to ten seconds after its last event
    (the refresher keeps to a tenth of the loop), in steps the next phase's batches would wait
    behind (docs/benchmarks/pipeline.md, session 19)."""
    started = time.monotonic()
    before = sum(services.cpu_seconds().values())
    while time.monotonic() - started < longest:
        await asyncio.sleep(every)
        now = sum(services.cpu_seconds().values())
        if (now - before) / every < AT_REST_SHARE and not services.tables_behind():
            break
        before = now
    return time.monotonic() - started


async def latency(run: Pipeline, gen: RegionGenerator, rate: int, seconds: float) -> dict[str, Any]:
    """Publish a fresh region's registry facts and diagnostic results in the order they took
    effect (a result after its educator's registration: ~15 % of the first 10,000 are results)
    at `rate`/s; each is visible when the indicators group has committed the platform's event
    that carries it (the fact: two hops; a diagnosis and the route built from it: three and
    four)."""
    region = gen.generate()
    world = sorted([*region.registry, *region.diagnostics], key=lambda e: e.occurred_at)
    events = world[: int(rate * seconds)]
    sent: dict[str, tuple[float, str]] = {}  # inbound event id -> (sent at, kind)
    publisher = Publisher(run.kafka, run.keys, window=10**9)
    await publisher.start()
    # the platform's topics are tailed from their current end: a derived event's position is
    # matched to the inbound event it carries
    # it fetches 64 KB or 25 ms: with Kafka's 500 ms wait (or the services' 100), a fetch held for
    # the idle partitions would hold back the busy ones and the bench would see (and time) their
    # records late; a fetch answered for every new record costs the broker, which the bench shares
    # with what it measures
    tail = AIOKafkaConsumer(
        bootstrap_servers=run.kafka, enable_auto_commit=False, fetch_max_wait_ms=25, fetch_min_bytes=65536
    )
    await tail.start()
    tps = await topic_partitions(run.kafka, list(INPUTS["indicators"]))
    tail.assign(tps)
    await tail.seek_to_end(*tps)
    #: (topic, partition) -> [(offset, inbound event id, kind)]
    waiting: dict[tuple[str, int], list[tuple[int, str, str]]] = {}
    sessions: dict[str, str] = {}  # session id -> inbound event id
    diagnoses: dict[str, str] = {}  # diagnosis id -> inbound event id
    latencies: dict[str, list[float]] = {"fact": [], "diagnosis": [], "route": []}
    #: (sent at, latency) of every visible event, for the phase's timeline
    samples: list[tuple[float, float]] = []
    #: publish -> the platform's event on its topic (registry: the fact; diagnostics: the
    #: diagnosis; routes: the route), without the indicators' hop
    hops: dict[str, list[float]] = {"registry": [], "diagnostics": [], "routes": []}
    admin = AIOKafkaAdminClient(bootstrap_servers=run.kafka)
    await admin.start()
    coordinators: dict[str, int] = {}
    await run.watch.pause()  # the throughput phase's sampling, not needed here
    sending = True

    async def follow() -> None:
        while sending or any(waiting.values()) or len(latencies["fact"]) + len(latencies["diagnosis"]) < len(sent):
            for tp, records in (await tail.getmany(timeout_ms=5, max_records=5000)).items():
                for rec in records:
                    # the few fields matched, without validating the whole event: the bench shares
                    # the two cores with what it measures
                    event = pydantic_core.from_json(rec.value)
                    key = (tp.topic, tp.partition)
                    eid, kind, payload = event["event_id"], event["event_type"], event["payload"]
                    appeared = time.monotonic()
                    if eid in sent:
                        waiting.setdefault(key, []).append((rec.offset, eid, "fact"))
                        hops["registry"].append(appeared - sent[eid][0])
                    elif kind == "DeficitDiagnosed" and payload["session_id"] in sessions:
                        origin = sessions[payload["session_id"]]
                        diagnoses[payload["diagnosis_id"]] = origin
                        waiting.setdefault(key, []).append((rec.offset, origin, "diagnosis"))
                        hops["diagnostics"].append(appeared - sent[origin][0])
                    elif kind == "RouteAssigned" and payload["diagnosis_id"] in diagnoses:
                        origin = diagnoses[payload["diagnosis_id"]]
                        waiting.setdefault(key, []).append((rec.offset, origin, "route"))
                        hops["routes"].append(appeared - sent[origin][0])
            await asyncio.sleep(0)

    async def visible() -> None:
        deadline: float | None = None
        while sending or any(waiting.values()):
            now = time.monotonic()
            if not sending:
                deadline = deadline or now + 60
                if now > deadline:
                    return
            committed = await committed_offsets(admin, f"{run.prefix}.indicators", coordinators)
            now = time.monotonic()
            for (topic, partition), items in waiting.items():
                meta = committed.get(TopicPartition(topic, partition))
                if meta is None:
                    continue
                keep = []
                for offset, origin, kind in items:
                    if offset < meta.offset:
                        latencies[kind].append(now - sent[origin][0])
                        samples.append((sent[origin][0], now - sent[origin][0]))
                    else:
                        keep.append((offset, origin, kind))
                items[:] = keep
            await asyncio.sleep(0.01)

    followers = [asyncio.create_task(follow()), asyncio.create_task(visible())]
    assert run.services is not None
    cpu_before, own_before = run.services.cpu_seconds(), time.process_time()
    started = time.monotonic()
    for i, event in enumerate(events):
        sent[str(event.event_id)] = (time.monotonic(), event.event_type)
        if isinstance(event, DiagnosticResultSubmitted):
            sessions[str(event.payload.session_id)] = str(event.event_id)
        await publisher.send(event)
        await asyncio.sleep(max(0.0, started + (i + 1) / rate - time.monotonic()))
    elapsed = time.monotonic() - started
    cpu = {k: v - cpu_before.get(k, 0.0) for k, v in run.services.cpu_seconds().items()}
    cpu["bench"] = time.process_time() - own_before
    sending = False
    await followers[1]
    followers[0].cancel()
    await asyncio.gather(*followers, return_exceptions=True)
    await tail.stop()
    await admin.close()
    await publisher.stop()
    registry = [e for e in events if not isinstance(e, DiagnosticResultSubmitted)]
    everything = [x for values in latencies.values() for x in values]
    return {
        "rate_per_s": len(events) / elapsed,
        "events": len(events),
        "registry_facts": len(registry),
        "diagnostic_results": len(events) - len(registry),
        "all": percentiles(everything),
        **{kind: percentiles(values) for kind, values in latencies.items()},
        "not_visible": sum(len(v) for v in waiting.values()),
        "published_by": {service: percentiles(values) for service, values in hops.items()},
        "timeline": timeline(samples, started),
        #: share of one core each process used while the events were published (the bench's own
        #: publishing and tailing included): the two cores are shared by all of them
        "cpu_share": {k: v / elapsed for k, v in cpu.items()},
    }


def _replay(env: dict[str, str], *command: str) -> dict[str, Any]:
    """A replay of the run's topics in its own process (`python -m <command>`); what it printed
    last, as JSON, with the CPU seconds the stack's Kafka and FerretDB spent meanwhile
    (`stack_cpu_seconds`: nothing else uses them during a replay)."""
    import json

    before = stack_cpu_seconds(env)
    out = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=6 * 3600,
        check=True,
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    figures["stack_cpu_seconds"] = {k: v - before.get(k, 0.0) for k, v in stack_cpu_seconds(env).items()}
    return figures


def per_event(figures: dict[str, Any]) -> str:
    """What a replay cost per event: its own CPU, and the stack's Kafka and FerretDB."""
    stack = figures.get("stack_cpu_seconds", {})
    return (
        f"{figures['cpu_seconds'] / figures['events'] * 1e6:,.0f} µs CPU per event ("
        + ", ".join(
            [f"{figures['events']:,} events"]
            + [f"{k} {stack[k] / figures['events'] * 1e6:,.0f} µs" for k in ("kafka", "ferretdb") if k in stack]
        )
        + ")"
    )


def service_alone(env: dict[str, str], service: str) -> dict[str, Any]:
    """One service alone over the same topics (`bench.alone`: a fresh group and database, its
    output dropped), in its own process."""
    return _replay(env, "bench.alone", "--service", service, "--prefix", "pla" + uuid.uuid4().hex[:6])


def fold_only(env: dict[str, str]) -> dict[str, Any]:
    """The indicators fold alone over the same topics (a fresh group), in its own process."""
    return _replay(env, "bench.worker", "--prefix", "plfold" + uuid.uuid4().hex[:6])


async def report_progress(run: Pipeline, started: float, into: list[dict[str, Any]], every: float) -> None:
    """Every `every` seconds of the feed, what each group has committed of its inputs and each
    service's resident memory: printed (a national run is hours of silence otherwise) and kept
    in `into` (how memory grows with the events, for a run stopped before its end too)."""
    assert run.services is not None
    while True:
        await asyncio.sleep(every)
        point: dict[str, Any] = {"seconds": round(time.monotonic() - started, 1)}
        for service in SERVICES:
            samples = run.watch.samples.get(service)
            point[service] = {"committed": samples[-1][1] if samples else 0, "end": run.watch.ends.get(service, 0)}
        point["memory_mb"] = run.services.peak_memory_mb("VmRSS")
        into.append(point)
        say(
            f"pipeline: {point['seconds'] / 60:.0f} min: "
            + ", ".join(f"{s} {point[s]['committed']:,}/{point[s]['end']:,}" for s in SERVICES)
            + "; resident "
            + ", ".join(f"{s} {mb:,.0f}" for s, mb in point["memory_mb"].items())
            + " MB"
        )


async def warm(run: Pipeline, gen: RegionGenerator, seconds: float) -> None:
    """The broker warmed before the clock (`bench.warmup`); what its JIT compilers used meanwhile."""
    broker = stack_pid(run.env, "kafka")
    jit_before = jit_cpu_seconds(broker) if broker else 0.0
    box = Outbox.of(gen.generate(), run.keys)
    publisher = Publisher(run.kafka, run.keys)
    await publisher.start()
    try:
        warmed = await warm_broker(
            run.kafka, publisher, box.registry + box.diagnostics, seconds, f"{run.prefix}.warmup"
        )
    finally:
        await publisher.stop()
    jit = (jit_cpu_seconds(broker) - jit_before) if broker else 0.0
    say(
        f"pipeline: the broker warmed for {warmed.seconds:.0f} s before the clock ({warmed.produced:,} records "
        f"sent to a scratch topic, {warmed.consumed:,} read back; its JIT compilers {jit:.1f} CPU s meanwhile)"
    )


async def run_pipeline(
    kafka: str,
    mongodb: str,
    scale: str,
    workdir: Path,
    http_ports: Iterable[int],
    instances: int = 1,
    rate: int = 500,
    seconds: float = 20,
    env: dict[str, str] | None = None,
    regions: Sequence[str] | None = None,
    check: Callable[[Pipeline, Fed], Awaitable[None]] | None = None,
    alone: Sequence[str] = (),
    warmup: float = 0.0,
) -> dict[str, Any]:
    """The pipeline bench on a running stack; the figures as a dict. `regions` names the
    generated regions (default RU-P00, national RU-P00..RU-P88); `check` is awaited with the
    run and what was fed once the indicators have caught up, before the services stop; the
    services in `alone` then replay the same topics one at a time (`service_alone`). With
    `warmup` seconds the broker first carries a generated region's records on a scratch topic
    (`bench.warmup`), before the clock."""
    codes = regions or [f"RU-P{r:02d}" for r in range(NATIONAL_REGIONS if scale == "national" else 1)]
    specs = [spec_for(scale, code, seed=11 + r) for r, code in enumerate(codes)]
    run = Pipeline(kafka, mongodb, workdir, http_ports, instances, base_env=env)
    gens = run.generators(specs)
    lat_gen = run.generators([LATENCY_SPEC])[0]
    warm_gen = run.generators([WARMUP_SPEC])[0] if warmup > 0 else None
    await run.start()
    assert run.services is not None
    try:
        # RSNMS_BENCH_PROFILE=<directory>:<seconds>[:latency]: py-spy on every service during the
        # feed (or the latency) phase
        profile = os.environ.get("RSNMS_BENCH_PROFILE", "").split(":")
        if len(profile) >= 2 and profile[2:] != ["latency"]:
            run.services.profile(Path(profile[0]), int(profile[1]))
        # the outside systems' data exists before the clock starts, encoded and signed in their
        # outboxes (a national feed's on disk: the country's events would not fit in memory)
        outboxes: list[Outbox] | list[SpooledOutbox]
        if scale == "national":
            made = time.monotonic()
            outboxes = spool(specs, run.keys, run.workdir / "outboxes")
            say(f"pipeline: {len(outboxes)} regions' outboxes written in {time.monotonic() - made:.0f} s")
        else:
            outboxes = [Outbox.of(g.generate(), run.keys) for g in gens]
        if warm_gen is not None:
            await warm(run, warm_gen, warmup)
        cpu_before, own_before = run.services.cpu_seconds(), time.process_time()
        gc_before = run.services.metric(GC_PAUSES)
        broker = stack_pid(run.env, "kafka")
        jit_before = jit_cpu_seconds(broker) if broker else 0.0
        started = time.monotonic()
        trajectory: list[dict[str, Any]] = []
        reporting = asyncio.create_task(report_progress(run, started, trajectory, 300 if scale == "national" else 60))
        try:
            fed = await run.feed(gens, timeout=6 * 3600, keep=check is not None, outboxes=outboxes)
            done = await run.watch.caught_up(("routes", "indicators"), timeout=6 * 3600)
        finally:
            reporting.cancel()
        seconds_e2e = done - started
        await asyncio.sleep(1.0)  # a last sample of every group
        per_service = {s: run.watch.rate(s, started) for s in SERVICES}
        result: dict[str, Any] = {
            "scale": scale,
            "instances": instances,
            "prefix": run.prefix,
            "inbound_events": fed.published,
            "educators": fed.educators,
            "seconds": seconds_e2e,
            "end_to_end_per_s": fed.published / seconds_e2e,
            "services": per_service,
            # "bench": the outside systems publishing (and reporting progress on routes), the watch
            "cpu_seconds": {k: v - cpu_before.get(k, 0.0) for k, v in run.services.cpu_seconds().items()}
            | {"bench": time.process_time() - own_before},
            "processed": run.services.metric("rsnms_events_processed_total"),
            "duplicates": run.services.metric("rsnms_events_duplicate_total"),
            "dead_lettered": run.services.metric("rsnms_events_dead_lettered_total"),
            "gc_seconds": {k: v - gc_before.get(k, 0.0) for k, v in run.services.metric(GC_PAUSES).items()},
            #: what Kafka's JIT compilers used of its CPU (a fresh broker compiles for minutes)
            "kafka_jit_cpu_seconds": (jit_cpu_seconds(broker) - jit_before) if broker else 0.0,
            "trajectory": trajectory,
        }
        say(
            f"pipeline: {fed.published:,} inbound events through the four services in {seconds_e2e:.1f} s = "
            f"{result['end_to_end_per_s']:,.0f} events/s end to end"
        )
        for s, r in per_service.items():
            cpu = result["cpu_seconds"].get(s, 0.0)
            say(
                f"pipeline:   {s:<12} {r['per_s']:>8,.0f} events/s ({r['events']:,} events in {r['seconds']:.1f} s), "
                f"{cpu:,.1f} CPU s = {cpu / fed.published * 1e6:,.0f} µs per inbound event "
                f"(garbage collector {result['gc_seconds'].get(s, 0.0):,.1f} s)"
            )
        say(
            "pipeline: CPU of the stack per inbound event: "
            + ", ".join(
                f"{k} {result['cpu_seconds'].get(k, 0.0) / fed.published * 1e6:,.0f} µs" for k in ("kafka", "ferretdb")
            )
            + f" (Kafka's JIT compilers {result['kafka_jit_cpu_seconds'] / fed.published * 1e6:,.0f} µs of it)"
            + f"; the bench's outside systems {result['cpu_seconds']['bench'] / fed.published * 1e6:,.0f} µs; "
            + f"all {sum(result['cpu_seconds'].values()) / seconds_e2e:.2f} cores busy on average"
        )
        if check is not None:
            await check(run, fed)
        if rate:
            result["at_rest_after_s"] = waited = await at_rest(run.services, AT_REST_LONGEST)
            if waited < AT_REST_LONGEST:
                say(
                    f"pipeline: the platform at rest {waited:.0f} s after the feed was through (its processes below "
                    f"{AT_REST_SHARE:.0%} of a core over a second, every live table published)"
                )
            else:
                say(
                    f"pipeline: the platform not at rest {waited:.0f} s after the feed was through "
                    f"({run.services.tables_behind()} live tables behind); the latency phase starts all the same"
                )
            if profile[2:] == ["latency"]:
                run.services.profile(Path(profile[0]), int(profile[1]))
            say(f"pipeline: latency phase from {time.strftime('%H:%M:%S', time.gmtime())} UTC")
            result["latency"] = await latency(run, lat_gen, rate, seconds)
            lat = result["latency"]
            say(
                f"pipeline: latency at {lat['rate_per_s']:.0f} inbound events/s sustained, publish -> indicators "
                f"folded: p50 {lat['all']['p50_ms']:.0f} ms, p95 {lat['all']['p95_ms']:.0f} ms, p99 "
                f"{lat['all']['p99_ms']:.0f} ms ({lat['not_visible']} not visible after 60 s); facts p99 "
                f"{lat['fact']['p99_ms']:.0f} ms, diagnoses p99 {lat['diagnosis']['p99_ms']:.0f} ms, routes p99 "
                f"{lat['route']['p99_ms']:.0f} ms"
            )
            say(
                "pipeline: publish -> on the platform's topic (p50/p99): "
                + ", ".join(f"{k} {v['p50_ms']:.0f}/{v['p99_ms']:.0f} ms" for k, v in lat["published_by"].items())
            )
            say(f"pipeline: seconds of the phase with an event slower than 1 s: {stalls(lat['timeline'])}")
            say(
                "pipeline: CPU during the latency phase (share of one core): "
                + ", ".join(f"{k} {v:.0%}" for k, v in lat["cpu_share"].items())
            )
        result["peak_memory_mb"] = run.services.peak_memory_mb()
        say("pipeline: peak memory " + ", ".join(f"{k} {v:,.0f} MB" for k, v in result["peak_memory_mb"].items()))
    finally:
        await run.stop()
    for service in alone:
        figures = service_alone(run.env, service)
        result.setdefault("alone", {})[service] = figures
        say(
            f"pipeline: {service} alone over the same topics: {figures['events'] / figures['seconds']:,.0f} events/s, "
            + per_event(figures)
        )
    return result
