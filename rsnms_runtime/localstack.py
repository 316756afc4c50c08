"""Starting a private copy of the local stack (Kafka + FerretDB) for tests and benchmarks:
own ports, own data directory, so it never disturbs a running platform; and the services they
start beside it (`start_service`, on a `free_port`)."""

from __future__ import annotations

import ctypes
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
STACK = ROOT / "deploy" / "local" / "stack"
SASL_USER, SASL_PASSWORD = "rsnms", "rsnms-local"
#: the lowest port `free_port` gives: above the stacks' own (17017-19195 for the tests,
#: 21400-21415 for the bench)
LOWEST_FREE_PORT = 22000
_handed_out: set[int] = set()


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port nothing listens on, not handed out before by this process, below the range the
    kernel hands out to outgoing connections. A port the kernel picked (`bind(0)`) is in that
    range, and between picking it and the service binding it a client connection (to Kafka, to
    FerretDB) could take it: `address already in use`."""
    highest = max(LOWEST_FREE_PORT + 1000, _ephemeral_start())
    for _ in range(1000):
        port = random.randrange(LOWEST_FREE_PORT, highest)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {LOWEST_FREE_PORT}-{highest}")


#: prctl(2): the signal a process gets when the thread that started it ends
PR_SET_PDEATHSIG = 1
#: looked up here, not in the child between fork and exec (where the loader's lock may be held)
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def ends_with_parent() -> None:
    """In the child before it runs: SIGTERM when the process that started it ends, however it
    ends (a bench or a test killed, not only interrupted, leaves no service behind)."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_service(
    name: str, env: Mapping[str, str], port: int, log: IO[bytes], *, own_session: bool = False
) -> subprocess.Popen[bytes]:
    """`python -m services.<name>` with its HTTP port, its output into `log`, stopped when the
    process that started it ends. The parent is the starting thread (prctl(2)): call it from
    one that lives as long as the service, not from a worker thread. `own_session` keeps the
    terminal's Ctrl-C from reaching it (the caller stops it in order)."""
    return subprocess.Popen(
        [sys.executable, "-m", f"services.{name}"],
        cwd=ROOT,
        env={**env, "RSNMS_HTTP_PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=own_session,
        preexec_fn=ends_with_parent,
    )


@dataclass
class LocalStack:
    name: str
    kafka_port: int
    controller_port: int
    ferretdb_port: int
    partitions: int = 3
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    #: a second listener for SASL/SCRAM-SHA-512 clients (user `SASL_USER`, `SASL_PASSWORD`)
    sasl_port: int | None = None
    #: a third for the same clients over TLS (SASL_SSL), its certificate signed by `tls_cafile`
    tls_port: int | None = None

    def __post_init__(self) -> None:
        if self.sasl_port is not None or self.tls_port is not None:
            self.env.update(KAFKA_SASL_USER=SASL_USER, KAFKA_SASL_PASSWORD=SASL_PASSWORD)
        if self.sasl_port is not None:
            self.env.update(KAFKA_SASL_PORT=str(self.sasl_port))
        if self.tls_port is not None:
            self.env.update(KAFKA_TLS_PORT=str(self.tls_port))
        self.env.update(
            RSNMS_STACK_DIR=str(ROOT / f".stack-{self.name}"),
            KAFKA_PORT=str(self.kafka_port),
            KAFKA_CONTROLLER_PORT=str(self.controller_port),
            FERRETDB_PORT=str(self.ferretdb_port),
            KAFKA_PARTITIONS=str(self.partitions),
            KAFKA_BOOTSTRAP_SERVERS=self.kafka,
            MONGODB_URI=self.mongodb,
        )

    @property
    def kafka(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def kafka_sasl(self) -> str | None:
        return None if self.sasl_port is None else f"127.0.0.1:{self.sasl_port}"

    @property
    def kafka_tls(self) -> str | None:
        return None if self.tls_port is None else f"127.0.0.1:{self.tls_port}"

    @property
    def tls_cafile(self) -> str:
        """The private CA the stack made for its TLS listener (what clients trust)."""
        return str(Path(self.env["RSNMS_STACK_DIR"]) / "kafka" / "tls" / "ca.pem")

    @property
    def mongodb(self) -> str:
        return f"mongodb://127.0.0.1:{self.ferretdb_port}/"

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(STACK), command], env=self.env, capture_output=True, text=True, timeout=900)

    def fresh_up(self) -> None:
        """Stop a leftover copy, wipe its data, start it and wait until both answer."""
        self.run("down")
        shutil.rmtree(self.env["RSNMS_STACK_DIR"], ignore_errors=True)
        up = self.run("up")
        if up.returncode != 0:
            raise RuntimeError(f"local stack {self.name} did not start:\n{up.stdout}\n{up.stderr}")

    def down(self) -> None:
        self.run("down")
