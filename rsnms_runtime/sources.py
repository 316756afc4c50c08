"""Who may publish what: authentication of the outside systems that publish on the
inbound topics, and the policy of which events each may publish for which regions.

Each publishing system (a ЦНППМ, an institute, an assessment platform, a provider's
LMS) has its own secret key, given to the platform through the environment
(`RSNMS_SOURCE_KEYS`, never the repository). It signs every message: header
`rsnms-source` names it, header `rsnms-signature` is HMAC-SHA256 over the topic, the
key and the value. The platform checks the signature, that the event's `source` is
the authenticated system (the source stamped on the event is therefore the proven
one), that the system may publish this kind of event, and for this region. Anything
else is refused with a reason and recorded on the dead-letter topic.

The policy (no secrets) is YAML: `sources: {<source>: {events: [...], regions: [...]}}`,
path in `RSNMS_SOURCE_POLICY` (default `deploy/sources.yaml`). `*` in regions means any.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from contracts import Event

SOURCE_HEADER = "rsnms-source"
SIGNATURE_HEADER = "rsnms-signature"
DEFAULT_POLICY = Path(__file__).resolve().parents[1] / "deploy" / "sources.yaml"


def sign(key: bytes, topic: str, msg_key: bytes | None, value: bytes) -> str:
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in (topic.encode(), b"\n", msg_key or b"", b"\n", value):
        mac.update(part)
    return mac.hexdigest()


def signed_headers(source: str, key: bytes, topic: str, msg_key: bytes | None, value: bytes) -> dict[str, str]:
    return {SOURCE_HEADER: source, SIGNATURE_HEADER: sign(key, topic, msg_key, value)}


def parse_keys(spec: str) -> dict[str, bytes]:
    """`source=secret,source2=secret2` (the form of RSNMS_SOURCE_KEYS)."""
    keys: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, secret = item.partition("=")
        if not name or len(secret) < 16:
            raise ValueError(f"RSNMS_SOURCE_KEYS: entry for {name!r} needs a secret of at least 16 characters")
        keys[name.strip()] = secret.strip().encode()
    return keys


@dataclass(frozen=True)
class Grant:
    events: frozenset[str]
    regions: frozenset[str]

    def allows_region(self, region: str) -> bool:
        return "*" in self.regions or region in self.regions


class SourceGate:
    """Checks one inbound message; returns the reason to refuse it, or None."""

    def __init__(self, keys: Mapping[str, bytes], grants: Mapping[str, Grant]):
        self._keys = dict(keys)
        self._grants = dict(grants)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SourceGate | None:
        env = os.environ if env is None else env
        return cls.from_config(env.get("RSNMS_SOURCE_KEYS"), Path(env.get("RSNMS_SOURCE_POLICY", str(DEFAULT_POLICY))))

    @classmethod
    def from_config(cls, keys: str | None, policy: Path) -> SourceGate | None:
        """The gate of the settings' RSNMS_SOURCE_KEYS and RSNMS_SOURCE_POLICY; None without keys."""
        if not keys:
            return None
        return cls(parse_keys(keys), load_policy(yaml.safe_load(policy.read_text())))

    def check(
        self, event: Event, topic: str, msg_key: bytes | None, value: bytes, headers: Iterable[tuple[str, Any]]
    ) -> str | None:
        h = {k: (v.decode(errors="replace") if isinstance(v, bytes) else str(v)) for k, v in headers}
        source, signature = h.get(SOURCE_HEADER), h.get(SIGNATURE_HEADER)
        if not source or not signature:
            return "unsigned message on an inbound topic (rsnms-source and rsnms-signature headers required)"
        key = self._keys.get(source)
        if key is None:
            return f"unknown publishing system {source!r}"
        if not hmac.compare_digest(sign(key, topic, msg_key, value), signature):
            return f"bad signature for {source!r}: forged or altered message"
        if event.source != source:
            return f"forged source: event claims {event.source!r} but was published by {source!r}"
        grant = self._grants.get(source)
        if grant is None or event.event_type not in grant.events:
            return f"{source!r} may not publish {event.event_type}"
        if not grant.allows_region(event.region):
            return f"{source!r} may not publish for region {event.region}"
        return None


def load_policy(doc: Mapping[str, Any]) -> dict[str, Grant]:
    from contracts import EVENT_CLASSES

    grants: dict[str, Grant] = {}
    for source, rule in (doc.get("sources") or {}).items():
        events = frozenset(rule.get("events") or ())
        unknown = events - set(EVENT_CLASSES)
        if unknown:
            raise ValueError(f"policy for {source}: unknown event types {sorted(unknown)}")
        grants[source] = Grant(events, frozenset(rule.get("regions") or ()))
    return grants
