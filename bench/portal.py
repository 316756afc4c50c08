"""Page loads of the portal for a region of 10,000 educators, against the indicators API it reads.

    python -m bench portal

A synthetic history of one region (20 municipalities × 15 schools × 34 educators = 10,200
educators, about ten events each) is published on the private stack; the indicators service
and the portal run as processes, as deployed. Each page is fetched signed in as the region's
analyst (the portal's full path: session, scope check, the indicators API, rendering), 20 times
after one warm-up; the same run times `GET /indicators?region=` of the indicators service, the
floor every page stands on, so the ratio is the portal's own cost. Then Chromium loads the
overview (navigation start to the load event) the same number of times.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx
from aiokafka.errors import KafkaError

from bench.history import Scale, history, region_code
from demo.feed import caught_up
from rsnms_runtime.localstack import ROOT, LocalStack, free_port, start_service
from services.portal.adapters.accounts import account_entry
from services.portal.domain.access import Role, User

TEN_THOUSAND = Scale(regions=1, municipalities_per_region=20, schools_per_municipality=15, educators_per_school=34)
RUNS = 20
PASSWORD = secrets.token_urlsafe(12)


def say(line: str) -> None:
    print(line, flush=True)


def start(name: str, env: dict[str, str], port: int, logs: Path) -> subprocess.Popen[bytes]:
    with open(logs / f"{name}.log", "ab") as out:
        return start_service(name, env, port, out)


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"a service exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2) as r:
                if json.loads(r.read()).get("ready"):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"port {port} not ready")


def timed(client: httpx.Client, url: str, runs: int = RUNS) -> dict[str, float]:
    response = client.get(url)  # warm-up (and a check the page answers)
    response.raise_for_status()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "bytes": len(response.content),
    }


def browser_load(base: str, region: str, runs: int = RUNS) -> dict[str, float] | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    loads = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(base + "/login")
        page.fill("input[name=login]", "region")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("load")
        for _ in range(runs + 1):
            page.goto(f"{base}/region/{region}", wait_until="load")
            loads.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
        browser.close()
    loads = sorted(loads[1:])
    return {"p50_ms": round(statistics.median(loads), 1), "p95_ms": round(loads[int(0.95 * (len(loads) - 1))], 1)}


async def bench_portal(stack: LocalStack, publish: Any) -> dict[str, Any]:
    region = region_code(0)
    prefix = "bportal" + secrets.token_hex(3)
    n = await publish(stack.kafka, history(TEN_THOUSAND, seed=5))
    say(f"portal: published {n:,} events for {TEN_THOUSAND.educators:,} educators of {region}")
    work = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    user = User("region", Role.REGIONAL, region, None, "Аналитик")
    (work / "accounts.json").write_text(json.dumps({"accounts": [account_entry(user, PASSWORD)]}))
    ports = {"indicators": free_port(), "portal": free_port()}
    env = {
        **stack.env,
        **{k: v for k, v in os.environ.items() if k.startswith("OTEL_")},
        "RSNMS_DB_PREFIX": prefix,
        "RSNMS_GROUP_PREFIX": prefix,
        "LOG_LEVEL": "WARNING",
        "RSNMS_SNAPSHOT_INTERVAL_S": "0",
        "RSNMS_PORTAL_SECRET": secrets.token_urlsafe(48),
        "RSNMS_PORTAL_ACCOUNTS": str(work / "accounts.json"),
        "RSNMS_INDICATORS_URL": f"http://127.0.0.1:{ports['indicators']}",
    }
    procs = {}
    try:
        procs["indicators"] = start("indicators", env, ports["indicators"], work)
        wait_ready(ports["indicators"], procs["indicators"])
        started = time.perf_counter()
        for attempt in range(60):  # a fresh broker may not have its group coordinator yet
            try:
                await caught_up(stack.kafka, f"{prefix}.indicators", 1800)
                break
            except KafkaError:
                if attempt == 59:
                    raise
                await asyncio.sleep(1.0)
        say(f"portal: indicators folded the region in {time.perf_counter() - started:.1f} s")
        procs["portal"] = start("portal", env, ports["portal"], work)
        wait_ready(ports["portal"], procs["portal"])
        results: dict[str, Any] = {"educators": TEN_THOUSAND.educators, "events": n, "runs": RUNS}
        results |= await asyncio.to_thread(measure, ports, region)
        return results
    finally:
        for proc in procs.values():
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def measure(ports: dict[str, int], region: str) -> dict[str, Any]:
    """The timings (blocking: runs in a thread of its own, also for Playwright's sync API)."""
    api = f"http://127.0.0.1:{ports['indicators']}"
    base = f"http://127.0.0.1:{ports['portal']}"
    results: dict[str, Any] = {}
    httpx.post(f"{api}/passports/snapshot?region={region}", timeout=120).raise_for_status()
    with httpx.Client(timeout=60) as client:
        results["indicators API /indicators (floor)"] = timed(client, f"{api}/indicators?region={region}")
        login = client.get(base + "/login").text
        token = re.search(r'name="csrf" value="([^"]+)"', login)
        assert token, "no CSRF token on the login page"
        client.post(base + "/login", data={"login": "region", "password": PASSWORD, "csrf": token.group(1)})
        pages = {
            "overview (today + 4 trend dates)": f"/region/{region}",
            "municipalities drill-down": f"/region/{region}/municipalities",
            "municipality with its organizations": f"/region/{region}/municipality/mun-000",
            "passport": f"/region/{region}/passport",
            "analytical report": f"/region/{region}/report",
            "overview as XLSX": f"/region/{region}?format=xlsx",
            "passport XLSX": f"/region/{region}/passport?format=xlsx",
            "report DOCX": f"/region/{region}/report.docx",
            "report PDF": f"/region/{region}/report.pdf",
        }
        for name, path in pages.items():
            results[name] = timed(client, base + path)
        results["indicators API /indicators (floor, again)"] = timed(client, f"{api}/indicators?region={region}")
    results["Chromium: overview load event"] = browser_load(base, region)
    floor = results["indicators API /indicators (floor)"]["p50_ms"]
    say(f"portal: {TEN_THOUSAND.educators:,} educators, {RUNS} loads each after a warm-up (ms)")
    say(f"  {'':44}{'p50':>9}{'p95':>9}{'× floor':>9}")
    for name, r in results.items():
        if isinstance(r, dict):
            say(f"  {name:<44}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['p50_ms'] / floor:>9.1f}")
    return results


def main() -> None:
    """`python -m bench.portal`: on a private stack at RSNMS_BENCH_PORTS (kafka,controller,ferretdb)."""
    from bench.__main__ import publish

    kafka, controller, ferretdb = (int(p) for p in os.environ.get("RSNMS_BENCH_PORTS", "19192,19193,17117").split(","))
    stack = LocalStack("bench-portal", kafka, controller, ferretdb, partitions=6, env=dict(os.environ))
    say(f"bench: starting a private stack ({stack.kafka}, {stack.mongodb})")
    stack.fresh_up()
    try:
        out = asyncio.run(bench_portal(stack, publish))
    finally:
        stack.down()
    path = ROOT / "bench" / "results" / "portal.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    say(f"bench: results in {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
