"""Ports for the services a test starts: free now, and outside the range the kernel hands out to
outgoing connections. A port the kernel picked (`bind(0)`) is in that range, and between the test
picking it and the service binding it a client connection (to Kafka, to FerretDB) could take it:
`address already in use`."""

from __future__ import annotations

import random
import socket
from pathlib import Path

#: never below the stacks' own ports (17017-19195 for the tests, 21400-21415 for the bench)
LOWEST = 22000
_handed_out: set[int] = set()


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port nothing listens on, not handed out before by this process, below the ephemeral range."""
    highest = max(LOWEST + 1000, _ephemeral_start())
    for _ in range(1000):
        port = random.randrange(LOWEST, highest)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {LOWEST}-{highest}")
