"""`make run`: the platform on the local stack with a demo region.

Starts the four services as separate processes (as they are deployed), feeds a generated
region through Kafka as the outside systems would, takes a passport snapshot, and keeps
printing the live indicator table (Russian labels, targets) until Ctrl-C.

Ctrl-C (or SIGTERM), at any moment, stops the services gracefully and leaves the stack running:
the services run in their own sessions, so the terminal's Ctrl-C reaches only this process, which
stops them with SIGTERM. Their logs are in <stack dir>/logs/<service>.log (.stack/logs/ by default).
The services listen on RSNMS_DEMO_HTTP_PORT and the four ports after it (8081-8085 by default; the
portal, in a browser, is the last: it prints the demo accounts created for this run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from faststream.kafka import KafkaBroker

from demo.competencies import framework_competencies
from demo.feed import caught_up, feed_region
from demo.generator import RegionGenerator, RegionSpec
from demo.portal import portal_env
from demo.rounds import ministry_source, monitoring_rounds
from rsnms_runtime.kafka import EventPublisher
from rsnms_runtime.localstack import start_service
from rsnms_runtime.settings import OpsSettings
from rsnms_runtime.sources import parse_keys
from services.indicators.domain import russian

ROOT = Path(__file__).resolve().parents[1]
_FIRST_PORT = OpsSettings().demo_http_port
SERVICES = {
    name: _FIRST_PORT + i for i, name in enumerate(("registry", "diagnostics", "routes", "indicators", "portal"))
}

LABELS = {
    "I1": "Доля педагогов и управленцев, прошедших диагностику дефицитов",
    "I2": "Доля педагогов и управленцев с ИОМ на основе диагностики",
    "I3": "Доля педагогов, освоивших программы из ФР ДПП по итогам диагностики",
    "I4": "Доля управленческих команд, повысивших квалификацию по управлению качеством",
    "I4R": "Доля управленческих команд, принявших участие в программах ПК (ЕАО)",
    "I5": "Доля молодых педагогов (до 35 лет, первые 3 года) в формах сопровождения",
    "I6": "Доля программ ДПО, размещённых в ФР ДПП",
    "E1": "Педагогов на одного регионального методиста",
    "E2": "Доля сотрудников ЦНППМ, обученных у федерального оператора",
    "RM": "Выполнение дорожной карты",
}


def start_services(env: dict[str, str], logs: Path, procs: dict[str, subprocess.Popen[bytes]]) -> None:
    """Start the four services into `procs` (filled as they start, so an interrupt can stop those)."""
    logs.mkdir(parents=True, exist_ok=True)
    for name, port in SERVICES.items():
        with open(logs / f"{name}.log", "ab") as out:  # the child keeps its own descriptor
            # the terminal's Ctrl-C is ours to handle (the services are stopped in order), not theirs
            procs[name] = start_service(name, env, port, out, own_session=True)


def http_json(url: str, timeout: float = 5.0, method: str = "GET") -> Any:
    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=timeout) as response:
        return json.loads(response.read())


class LiveTable:
    """Redraws the table in place below what was printed before it, so start-up lines such as
    where the passport snapshot is stay on the screen (no clearing of the whole screen)."""

    def __init__(self, out: Any = None) -> None:
        self.out = out or sys.stdout
        self.lines = 0

    def show(self, text: str) -> None:
        if self.lines and self.out.isatty():
            self.out.write(f"\033[{self.lines}F\033[J")  # up to the table's first line, clear below
        self.out.write(text + "\n")
        self.out.flush()
        self.lines = text.count("\n") + 1


def stop_services(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs.values():
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class ServiceFailed(RuntimeError):
    """A service exited or did not become ready."""


#: set by Ctrl-C or SIGTERM outside the event loop; inside it they cancel the demo's task instead
INTERRUPTED = threading.Event()


def _interrupted(*_: Any) -> None:
    INTERRUPTED.set()


async def wait_ready(procs: dict[str, subprocess.Popen[bytes]], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    for name, port in SERVICES.items():
        while True:
            if procs[name].poll() is not None:
                raise ServiceFailed(f"service {name} exited with {procs[name].returncode}; see its log")
            try:
                answer = await asyncio.to_thread(http_json, f"http://127.0.0.1:{port}/health/ready", 2.0)
                if answer.get("ready"):
                    break
            except (urllib.error.URLError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise ServiceFailed(f"service {name} not ready after {timeout:.0f} s")
            await asyncio.sleep(0.5)


def render(table: dict[str, Any]) -> str:
    """The region's indicators as a table for the terminal, in Russian formats (38,3 %; 05.12.2026)."""
    as_of = date.fromisoformat(table["as_of"]) if isinstance(table["as_of"], str) else table["as_of"]
    lines = [f"Показатели эффективности РСНМС — регион {table['region']}, на {russian.day(as_of)}", ""]
    lines.append(f"{'':4}{'Показатель':<78}{'числ.':>8}{'знам.':>8}{'значение':>10}{'цель':>8}  ")
    for v in table["values"]:
        if v["scope_kind"] != "region":
            continue
        e1 = v["indicator"] == "E1"
        value = russian.number(v["value"]) if e1 else russian.percent(v["value"])
        target = (
            ""
            if v.get("target") is None
            else (f"≤{russian.number(v['target'], 0)}" if e1 else russian.percent(v["target"], 0))
        )
        met = {True: "выполнено", False: "не выполнено", None: ""}[v.get("target_met")]
        if v.get("target") is None:
            met = "цель не установлена"
        if e1:
            extra = v["extra"]
            met += (
                f" (макс. нагрузка {russian.number(int(extra.get('max_load', 0)))},"
                f" без методиста {russian.number(int(extra.get('without_methodist', 0)))})"
            )
        lines.append(
            f"{v['indicator']:<4}{LABELS.get(v['indicator'], ''):<78}{russian.number(v['numerator']):>8}"
            f"{russian.number(v['denominator']):>8}{value:>10}{target:>8}  {met}"
        )
    municipalities = sorted({v["scope_id"] for v in table["values"] if v["scope_kind"] == "municipality"})
    lines.append("")
    lines.append(
        f"Муниципалитетов: {len(municipalities)}; значения по муниципалитетам и организациям: "
        f"http://127.0.0.1:{SERVICES['indicators']}/indicators?region={table['region']}"
    )
    return "\n".join(lines)


async def feed(env: dict[str, str], generator: RegionGenerator, keys: dict[str, bytes]) -> int:
    broker = KafkaBroker(env["KAFKA_BOOTSTRAP_SERVERS"])
    await broker.start()
    try:
        result = await feed_region(
            generator,
            EventPublisher(broker, keys=keys),
            env["KAFKA_BOOTSTRAP_SERVERS"],
            routes_group=env.get("RSNMS_GROUP_PREFIX", "rsnms") + ".routes",
            log=lambda line: print(f"demo: {line}", flush=True),
        )
        return len(result.published)
    finally:
        await broker.stop()


async def publish_rounds(env: dict[str, str], keys: dict[str, bytes], region: str) -> list[str]:
    """The ministry's rounds and passport decisions (demo/rounds.py)."""
    broker = KafkaBroker(env["KAFKA_BOOTSTRAP_SERVERS"])
    await broker.start()
    try:
        return await monitoring_rounds(EventPublisher(broker, keys=keys), region, date.today())
    finally:
        await broker.stop()


async def run_demo(
    args: argparse.Namespace,
    env: dict[str, str],
    generator: RegionGenerator,
    keys: dict[str, bytes],
    logs: Path,
    procs: dict[str, subprocess.Popen[bytes]],
    accounts: Sequence[str] = (),
) -> None:
    """Start the services, feed the region, snapshot, then the live table, until Ctrl-C or SIGTERM
    cancels this task (caught here, so nothing is raised past it)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        if INTERRUPTED.is_set():
            return
        start_services(env, logs, procs)
        print(f"demo: starting the services (logs in {logs}/)", flush=True)
        await wait_ready(procs)
        print("demo: services ready: " + ", ".join(f"{n} http://127.0.0.1:{p}" for n, p in SERVICES.items()))
        print(f"demo: portal http://127.0.0.1:{SERVICES['portal']}/ — accounts for this run:", *accounts, sep="\n")
        published = await feed(env, generator, keys)
        print(f"demo: {published} events published for {args.region}")
        base = f"http://127.0.0.1:{SERVICES['indicators']}"
        groups = env.get("RSNMS_GROUP_PREFIX", "rsnms")
        for service in ("routes", "indicators"):  # routes close after the reports, then indicators fold that
            await caught_up(env["KAFKA_BOOTSTRAP_SERVERS"], f"{groups}.{service}", 600)
        url = f"{base}/passports/snapshot?region={args.region}"
        snapshot = await asyncio.to_thread(http_json, url, 60, "POST")
        print(
            f"demo: passport snapshot {snapshot.get('snapshot_id')} (version {snapshot.get('version')}) stored "
            f"in MongoDB rsnms_indicators.passport_snapshots and published on rsnms.indicators.passports; "
            f"latest: {base}/passports/latest?region={args.region}",
            flush=True,
        )
        rounds = await publish_rounds(env, keys, args.region)
        print(
            f"demo: monitoring rounds {', '.join(rounds)}: {base}/rounds?region={args.region}; the analytical report: "
            f"{base}/rounds/report?region={args.region}&round={rounds[-1]}",
            flush=True,
        )
        live = LiveTable()
        while True:
            live.show(render(await asyncio.to_thread(http_json, f"{base}/indicators?region={args.region}")))
            if args.once:
                break
            await asyncio.sleep(5)
    except asyncio.CancelledError:
        print("\ndemo: interrupted", flush=True)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # back to the flag before the loop goes away
            loop.remove_signal_handler(sig)
            signal.signal(sig, _interrupted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", default="RU-YEV")
    parser.add_argument("--municipalities", type=int, default=6)
    parser.add_argument("--seed", type=int, default=20240901)
    parser.add_argument("--once", action="store_true", help="print the table once and stop the services")
    args = parser.parse_args()
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)

    env = dict(os.environ)
    env.setdefault("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:" + env.get("KAFKA_PORT", "9092"))
    env.setdefault("MONGODB_URI", f"mongodb://127.0.0.1:{env.get('FERRETDB_PORT', '27017')}/")
    # the demo's outside systems get fresh secrets for this run (never stored in the repository);
    # deploy/sources.yaml says what each may publish
    spec = RegionSpec(region=args.region, municipalities=args.municipalities, seed=args.seed, today=date.today())
    generator = RegionGenerator(spec, framework_competencies())
    keys = {s: secrets.token_hex(16).encode() for s in (*generator.sources, "portal", ministry_source(args.region))}
    env.setdefault("RSNMS_SOURCE_KEYS", ",".join(f"{s}={k.decode()}" for s, k in keys.items()))
    keys = parse_keys(env["RSNMS_SOURCE_KEYS"])
    logs = Path(env.get("RSNMS_STACK_DIR", ROOT / ".stack")) / "logs"
    portal, accounts = portal_env(
        args.region, logs.parent, f"http://127.0.0.1:{SERVICES['indicators']}", generator.sources[0]
    )
    env |= portal
    procs: dict[str, subprocess.Popen[bytes]] = {}
    failed = False
    try:
        asyncio.run(run_demo(args, env, generator, keys, logs, procs, accounts))
    except ServiceFailed as exc:
        print(f"demo: {exc} (logs in {logs}/)", file=sys.stderr, flush=True)
        failed = True
    finally:
        stop_services(procs)
        print("demo: services stopped; the stack keeps running (deploy/local/stack down stops it)", flush=True)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
