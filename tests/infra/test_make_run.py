"""The newcomer's path: `make run`, Ctrl-C, `make run` again.

Ctrl-C in a terminal signals the whole foreground process group (make, the demo, and whatever
shares the group). The stack's daemons run in their own sessions and so do the services, so
Ctrl-C reaches only make and the demo, which stops the services cleanly: no traceback, the
stack keeps running, and the next `make run` starts against it at once. The Ctrl-C is sent as the
terminal would: SIGINT to the process group of `make run`. Runs a private stack on its own ports."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, STACK

pytestmark = pytest.mark.infra


def _ports() -> tuple[int, int, int, int]:
    kafka, controller, ferretdb = (
        int(p) for p in os.environ.get("RSNMS_TEST_PORTS", "19092,19093,17017").split(",")[:3]
    )
    return kafka + 20, controller + 20, ferretdb + 20, ferretdb + 30  # the demo's 4 HTTP ports from the last


class MakeRun:
    """`make run` in its own process group, its output read line by line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            self.output.append(line)
            if text in line:
                return
        raise AssertionError(f"{text!r} not seen:\n{''.join(self.output)}")

    def ctrl_c(self, timeout: float = 90) -> str:
        os.killpg(self.proc.pid, signal.SIGINT)
        self.proc.wait(timeout=timeout)
        while (line := self.lines.get(timeout=10)) is not None:
            self.output.append(line)
        return "".join(self.output)


def _stack(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(STACK), command], env=env, capture_output=True, text=True, timeout=300)


def test_ctrl_c_stops_the_demo_cleanly_and_leaves_the_stack_running_for_the_next_make_run(infra, tmp_path):
    kafka, controller, ferretdb, http = _ports()
    env = {
        **os.environ,
        "RSNMS_STACK_DIR": str(tmp_path / "stack"),
        "KAFKA_PORT": str(kafka),
        "KAFKA_CONTROLLER_PORT": str(controller),
        "FERRETDB_PORT": str(ferretdb),
        "RSNMS_DEMO_HTTP_PORT": str(http),
    }
    for var in ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI", "RSNMS_SOURCE_KEYS"):
        env.pop(var, None)
    try:
        # Ctrl-C while the services start up
        first = MakeRun(env)
        first.wait_for("demo: starting the services", timeout=300)
        out = first.ctrl_c()
        assert "Traceback" not in out, out
        assert "demo: services stopped; the stack keeps running" in out, out
        status = _stack("status", env)
        assert status.returncode == 0, status.stdout + status.stderr  # Kafka and FerretDB still up and healthy
        assert "kafka: running" in status.stdout and "ferretdb: running" in status.stdout

        # make run again: the stack is already there, the services come up; Ctrl-C while the region is fed
        second = MakeRun(env)
        second.wait_for("already running", timeout=60)
        second.wait_for("demo: services ready", timeout=180)
        out = second.ctrl_c()
        assert "Traceback" not in out, out
        assert "demo: services stopped; the stack keeps running" in out, out
        assert _stack("status", env).returncode == 0
        logs = Path(env["RSNMS_STACK_DIR"]) / "logs"
        assert {"registry.log", "diagnostics.log", "routes.log", "indicators.log"} <= {p.name for p in logs.iterdir()}
        assert "Traceback" not in (logs / "indicators.log").read_text()  # stopped by SIGTERM, not by the Ctrl-C
    finally:
        _stack("down", env)
