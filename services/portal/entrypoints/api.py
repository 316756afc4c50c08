"""The ingestion API for systems that cannot speak Kafka: POST /api/v1/events with a bearer
token per system; the event is checked as the platform checks a Kafka publisher and put on its
inbound topic, signed with that system's key. GET /api/openapi.json documents it."""

from __future__ import annotations

import functools
import operator
from functools import cache
from typing import Annotated, Any

from pydantic import Field, TypeAdapter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from contracts import EVENT_CLASSES, INBOUND_TOPICS, MAX_EVENT_BYTES, TOPIC_EVENTS
from services.portal.service import Ingestion

ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "reason": {"type": "string"}, "kind": {"type": "string"}},
    "required": ["error", "reason"],
}


@cache
def openapi() -> dict[str, Any]:
    kinds = sorted(k for t in INBOUND_TOPICS for k in TOPIC_EVENTS[t])
    inbound: Any = Annotated[
        functools.reduce(operator.or_, (EVENT_CLASSES[k] for k in kinds)), Field(discriminator="event_type")
    ]
    schema = TypeAdapter[Any](inbound).json_schema(ref_template="#/components/schemas/{model}")
    components = schema.pop("$defs", {})
    components["InboundEvent"] = schema
    components["Error"] = ERROR
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "РСНМС: приём событий по HTTP",
            "version": "1",
            "description": "For systems that cannot publish to Kafka: one event per request, the same checks as "
            "for a Kafka publisher (the system may publish this kind of event, for this region; the event's "
            "`source` is the system). Event ids are deterministic, so a retry is harmless.",
        },
        "paths": {
            "/api/v1/events": {
                "post": {
                    "summary": "Submit one inbound event",
                    "security": [{"bearer": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InboundEvent"}}},
                    },
                    "responses": {
                        "202": {
                            "description": "accepted and put on its inbound topic",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"accepted": {"type": "string"}, "topic": {"type": "string"}},
                                    }
                                }
                            },
                        },
                        **{
                            str(code): {
                                "description": text,
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                            }
                            for code, text in (
                                (401, "missing or unknown token"),
                                (403, "the system may not publish this event (kind, region or source)"),
                                (413, f"body larger than {MAX_EVENT_BYTES} bytes"),
                                (422, "malformed body: not JSON, unknown event type, invalid fields"),
                            )
                        },
                    },
                }
            }
        },
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def routes(ingestion: Ingestion | None) -> list[Route]:
    async def submit(request: Request) -> Response:
        if ingestion is None:
            return JSONResponse({"error": "unavailable", "reason": "the ingestion API is not configured"}, 503)
        too_large = JSONResponse({"error": "too_large", "reason": f"body exceeds {MAX_EVENT_BYTES} bytes"}, 413)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_EVENT_BYTES:
            return too_large
        body = bytearray()
        async for chunk in request.stream():  # read no further than the limit, whatever was declared
            body += chunk
            if len(body) > MAX_EVENT_BYTES:
                return too_large
        answer = await ingestion.accept(request.headers.get("authorization"), bytes(body))
        return JSONResponse(answer.body, answer.status)

    async def spec(request: Request) -> Response:
        return JSONResponse(openapi())

    return [Route("/api/v1/events", submit, methods=["POST"]), Route("/api/openapi.json", spec)]
