"""The portal's use cases that change the world: a person's uploaded list and a system's event
sent over HTTP both become signed events on the inbound topics, checked exactly as the platform
checks a Kafka publisher (rsnms_runtime.sources.SourceGate: signature, source, kind, region)."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from contracts import INBOUND_TOPICS, ContractError, Event, decode_event, inbound_topic_of
from rsnms_runtime.logging import get_logger
from rsnms_runtime.sources import SourceGate, signed_headers
from services.portal.domain.uploads import Checked, check_rows

Publish = Callable[[Sequence[Event]], Awaitable[None]]

#: what was accepted or refused, by whom: counts, event ids and reasons, never a row's cells
log = get_logger("rsnms.portal")
#: refused row numbers named in an upload's log line
LOGGED_ROWS = 200


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, object]


class Ingestion:
    """POST /api/v1/events: one event from a system identified by its bearer token."""

    def __init__(self, tokens: Mapping[str, str], keys: Mapping[str, bytes], gate: SourceGate, publish: Publish):
        self._tokens = dict(tokens)  # system -> token
        self._keys = dict(keys)
        self._gate = gate
        self._publish = publish

    def system_of(self, authorization: str | None) -> str | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        for system, expected in self._tokens.items():
            if hmac.compare_digest(expected.encode(), token.strip().encode()):
                return system
        return None

    async def accept(self, authorization: str | None, body: bytes) -> Answer:
        answer = await self._accept(authorization, body)
        log.info("portal_ingestion", status=answer.status, **{k: str(v) for k, v in answer.body.items()})
        return answer

    async def _accept(self, authorization: str | None, body: bytes) -> Answer:
        system = self.system_of(authorization)
        if system is None:
            return Answer(401, {"error": "unauthorized", "reason": "missing or unknown bearer token"})
        try:
            event = decode_event(body)
        except ContractError as exc:
            return Answer(422, {"error": "malformed", "kind": exc.kind, "reason": str(exc)})
        topic = str(inbound_topic_of(event))
        if topic not in {str(t) for t in INBOUND_TOPICS}:
            return Answer(403, {"error": "forbidden", "reason": f"{event.event_type} is not an inbound event"})
        key = self._keys.get(system)
        if key is None:
            return Answer(503, {"error": "unavailable", "reason": f"no signing key configured for {system!r}"})
        value, msg_key = event.to_bytes(), event.key.encode()
        headers = signed_headers(system, key, topic, msg_key, value)
        reason = self._gate.check(event, topic, msg_key, value, headers.items())
        if reason is not None:
            return Answer(403, {"error": "forbidden", "reason": reason})
        await self._publish([event])
        return Answer(202, {"accepted": str(event.event_id), "topic": topic, "system": system})


class Uploads:
    """A ЦНППМ's list: valid rows become events of the portal's own publishing system."""

    def __init__(self, source: str, pseudonym_key: bytes, gate: SourceGate | None, publish: Publish):
        self.source, self._key, self._gate, self._publish = source, pseudonym_key, gate, publish

    async def apply(self, kind: str, region: str, rows: Sequence[Mapping[str, str]], by: str = "") -> Checked:
        # in a thread: checking a long list takes seconds, and every page of the portal waits on the loop
        checked = await asyncio.to_thread(check_rows, kind, rows, region, self.source, self._key)
        await self._publish(checked.events)
        refused_rows = sorted({r.row for r in checked.refusals})
        log.info(
            "portal_upload",
            kind=kind,
            region=region,
            user=by,
            rows=checked.rows,
            accepted=len(checked.events),
            refused=len(checked.refused_rows),
            # the row numbers to look at; a list refused whole is not repeated in the log line
            refused_rows=refused_rows[:LOGGED_ROWS],
            **({"refused_rows_not_listed": len(refused_rows) - LOGGED_ROWS} if len(refused_rows) > LOGGED_ROWS else {}),
        )
        return checked
