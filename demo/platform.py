"""`make run`: the platform on the local stack with a demo region.

Starts the four services as separate processes (as they are deployed), feeds a generated
region through Kafka as the outside systems would, takes a passport snapshot, and keeps
printing the live indicator table (Russian labels, targets) until Ctrl-C.
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
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

from faststream.kafka import KafkaBroker

from demo.competencies import framework_competencies
from demo.feed import caught_up, feed_region
from demo.generator import RegionGenerator, RegionSpec
from rsnms_runtime.kafka import EventPublisher
from rsnms_runtime.sources import parse_keys

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {"registry": 8081, "diagnostics": 8082, "routes": 8083, "indicators": 8084}

LABELS = {
    "I1": "Доля педагогов и управленцев, прошедших диагностику дефицитов",
    "I2": "Доля педагогов и управленцев с ИОМ на основе диагностики",
    "I3": "Доля педагогов, освоивших программы из ФР ДПП по итогам диагностики",
    "I4": "Доля управленческих команд, повысивших квалификацию по управлению качеством",
    "I5": "Доля молодых педагогов (до 35 лет, первые 3 года) в формах сопровождения",
    "I6": "Доля программ ДПО, размещённых в ФР ДПП",
    "E1": "Педагогов на одного регионального методиста",
    "E2": "Доля сотрудников ЦНППМ, обученных у федерального оператора",
    "RM": "Выполнение дорожной карты",
}


def start_services(env: dict[str, str], logs: Path) -> dict[str, subprocess.Popen[bytes]]:
    logs.mkdir(parents=True, exist_ok=True)
    procs = {}
    for name, port in SERVICES.items():
        out = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the process's life
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**env, "RSNMS_HTTP_PORT": str(port)},
        )
    return procs


def http_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def wait_ready(procs: dict[str, subprocess.Popen[bytes]], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    for name, port in SERVICES.items():
        while True:
            if procs[name].poll() is not None:
                raise RuntimeError(f"service {name} exited with {procs[name].returncode}; see its log")
            try:
                if http_json(f"http://127.0.0.1:{port}/health/ready").get("ready"):
                    break
            except (urllib.error.URLError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"service {name} not ready after {timeout:.0f} s")
            time.sleep(0.5)


def render(table: dict[str, Any]) -> str:
    lines = [f"Показатели эффективности РСНМС — регион {table['region']}, на {table['as_of']}", ""]
    lines.append(f"{'':4}{'Показатель':<78}{'числ.':>8}{'знам.':>8}{'значение':>10}{'цель':>8}  ")
    for v in table["values"]:
        if v["scope_kind"] != "region":
            continue
        value = "—" if v["value"] is None else (f"{v['value']:.1f}" if v["indicator"] == "E1" else f"{v['value']:.1%}")
        target = (
            ""
            if v.get("target") is None
            else (f"≤{v['target']:.0f}" if v["indicator"] == "E1" else f"{v['target']:.0%}")
        )
        met = {True: "выполнено", False: "не выполнено", None: ""}[v.get("target_met")]
        lines.append(
            f"{v['indicator']:<4}{LABELS.get(v['indicator'], ''):<78}{v['numerator']:>8}"
            f"{v['denominator']:>8}{value:>10}{target:>8}  {met}"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--region", default="RU-YEV")
    parser.add_argument("--municipalities", type=int, default=6)
    parser.add_argument("--seed", type=int, default=20240901)
    parser.add_argument("--once", action="store_true", help="print the table once and stop the services")
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:" + env.get("KAFKA_PORT", "9092"))
    env.setdefault("MONGODB_URI", f"mongodb://127.0.0.1:{env.get('FERRETDB_PORT', '27017')}/")
    # the demo's outside systems get fresh secrets for this run (never stored in the repository);
    # deploy/sources.yaml says what each may publish
    spec = RegionSpec(region=args.region, municipalities=args.municipalities, seed=args.seed, today=date.today())
    generator = RegionGenerator(spec, framework_competencies())
    keys = {s: secrets.token_hex(16).encode() for s in generator.sources}
    env.setdefault("RSNMS_SOURCE_KEYS", ",".join(f"{s}={k.decode()}" for s, k in keys.items()))
    keys = parse_keys(env["RSNMS_SOURCE_KEYS"])
    stack_dir = Path(env.get("RSNMS_STACK_DIR", ROOT / ".stack"))
    procs = start_services(env, stack_dir / "logs")
    stop = False

    def on_signal(*_: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        wait_ready(procs)
        print("demo: services ready: " + ", ".join(f"{n} http://127.0.0.1:{p}" for n, p in SERVICES.items()))
        published = asyncio.run(feed(env, generator, keys))
        print(f"demo: {published} events published for {args.region}")
        base = f"http://127.0.0.1:{SERVICES['indicators']}"
        groups = env.get("RSNMS_GROUP_PREFIX", "rsnms")
        for service in ("routes", "indicators"):  # routes close after the reports, then indicators fold that
            asyncio.run(caught_up(env["KAFKA_BOOTSTRAP_SERVERS"], f"{groups}.{service}", 600))
        snapshot = http_json(f"{base}/passports/snapshot?region={args.region}", timeout=60)
        print(
            f"demo: passport snapshot {snapshot.get('snapshot_id')} (version {snapshot.get('version')}) stored "
            f"in MongoDB rsnms_indicators.passport_snapshots and published on rsnms.indicators.passports; "
            f"latest: {base}/passports/latest?region={args.region}"
        )
        while not stop:
            table = http_json(f"{base}/indicators?region={args.region}")
            print("\033[2J\033[H" if sys.stdout.isatty() else "", end="")
            print(render(table), flush=True)
            if args.once:
                break
            for _ in range(20):
                if stop:
                    break
                time.sleep(0.25)
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        print("demo: services stopped; the stack keeps running (deploy/local/stack down stops it)")


if __name__ == "__main__":
    main()
