"""`rsnms status` against the real stack and a running indicators service: it asks each service's
own /health/ready, aligns its columns, and can be piped into a reader that stops early."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from rsnms_runtime.localstack import ROOT
from tests.infra.test_cli import Indicators, _env, _free_port, rsnms

pytestmark = pytest.mark.infra


async def test_status_reports_each_services_own_health_in_aligned_columns(infra, prefix, monkeypatch):
    nobody = _free_port()  # nothing listens there: a service that is not running
    async with Indicators(infra, prefix) as svc:
        urls = f"indicators=http://127.0.0.1:{svc.port},registry=http://127.0.0.1:{nobody}"
        monkeypatch.setitem(infra.env, "RSNMS_SERVICE_URLS", urls)
        status = await rsnms(infra, prefix, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    lines = status.stdout.splitlines()
    services = lines[lines.index(next(line for line in lines if line.startswith("service"))) :][:3]
    assert services[1].split() == ["indicators", f"http://127.0.0.1:{svc.port}", "ready"], services
    assert services[2].split() == ["registry", f"http://127.0.0.1:{nobody}", "not", "running"], services
    # every column of the block starts at the same place on every line
    assert len({line.index("http") for line in services[1:]}) == 1 and services[0].index("url") == services[1].index(
        "http"
    )
    topics = lines[lines.index(next(line for line in lines if line.startswith("topic"))) :]
    topics = topics[: topics.index("")]
    assert len({len(line) for line in topics}) == 1, topics  # numbers right-aligned to one edge


async def test_status_piped_into_a_reader_that_has_gone_stops_quietly(infra, prefix):
    def piped() -> subprocess.CompletedProcess[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rsnms_runtime.cli", "status"],
            cwd=ROOT,
            env={**_env(infra, prefix), "RSNMS_SERVICE_URLS": ""},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # `| head -0`: the reader is gone before anything is written
        err = proc.stderr.read()
        return subprocess.CompletedProcess(proc.args, proc.wait(timeout=60), "", err)

    result = await asyncio.to_thread(piped)
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr, result.stderr
    assert result.returncode == 141

    shell = await asyncio.to_thread(
        subprocess.run,
        ["bash", "-c", f"{sys.executable} -m rsnms_runtime.cli status | head -1"],
        cwd=ROOT,
        env=_env(infra, prefix),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shell.stdout.startswith("kafka") and shell.stderr == "", shell.stderr
