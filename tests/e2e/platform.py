"""The four services as separate processes (as deployed), on the test stack."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from contracts import INBOUND_TOPICS, TOPIC_EVENTS, Topic
from rsnms_runtime.localstack import free_port, start_service

SERVICES = ("registry", "diagnostics", "routes", "indicators")


class Platform:
    def __init__(
        self,
        infra: Any,
        prefix: str,
        workdir: Path,
        keys: dict[str, bytes],
        region: str,
        services: tuple[str, ...] = SERVICES,
        extra_env: dict[str, str] | None = None,
        grants: dict[str, list[str]] | None = None,
    ):
        """`keys`: every publishing system's secret; by default each may publish every inbound
        event but the governance ones (rounds, passport decisions); `grants` sets a system's
        event types instead (e.g. the regional ministry, the federal operator)."""
        self.infra, self.prefix, self.workdir = infra, prefix, workdir
        self.services = services
        self.ports = {name: free_port() for name in services}
        inbound = sorted(k for t in INBOUND_TOPICS if t != Topic.GOVERNANCE for k in TOPIC_EVENTS[t])
        policy = {"sources": {s: {"events": (grants or {}).get(s, inbound), "regions": [region]} for s in keys}}
        (workdir / "sources.yaml").write_text(yaml.safe_dump(policy))
        self.env = {
            **infra.env,
            "RSNMS_DB_PREFIX": prefix,
            "RSNMS_GROUP_PREFIX": prefix,
            "LOG_LEVEL": "WARNING",
            "RSNMS_SOURCE_KEYS": ",".join(f"{s}={k.decode()}" for s, k in keys.items()),
            "RSNMS_SOURCE_POLICY": str(workdir / "sources.yaml"),
            "RSNMS_SNAPSHOT_INTERVAL_S": "0",
            **(extra_env or {}),
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        with open(self.workdir / f"{name}.log", "ab") as log:  # the child keeps its own descriptor
            self.procs[name] = start_service(name, self.env, self.ports[name], log)

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def url(self, name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    def get(self, name: str, path: str, timeout: float = 60) -> Any:
        with urllib.request.urlopen(self.url(name, path), timeout=timeout) as response:
            return json.loads(response.read())

    def post(self, name: str, path: str, timeout: float = 60) -> Any:
        request = urllib.request.Request(self.url(name, path), method="POST")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def get_text(self, name: str, path: str, timeout: float = 30) -> str:
        with urllib.request.urlopen(self.url(name, path), timeout=timeout) as response:
            return response.read().decode()

    def wait_ready(self, names: tuple[str, ...] | None = None, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        for name in names or self.services:
            while True:
                if self.procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited with {self.procs[name].returncode}:\n{self.log(name)}")
                try:
                    if self.get(name, "/health/ready", timeout=5).get("ready"):
                        break
                except (urllib.error.URLError, OSError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not ready:\n{self.log(name)}")
                time.sleep(0.3)

    def log(self, name: str, lines: int = 40) -> str:
        path = self.workdir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def __enter__(self) -> Platform:
        for name in self.services:
            self.start(name)
        try:
            self.wait_ready()
        except Exception:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for name in list(self.procs):
            self.stop(name)
        if exc and exc[0] is not None:
            for name in self.services:
                print(f"--- {name} log ---\n{self.log(name)}")
