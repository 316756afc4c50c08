"""The trace context a Kafka message carries, read for every consumed event.

The generic `opentelemetry.propagate.extract` (regular expressions, baggage, a context per
propagator) is costly for every message (docs/decisions/runtime-costs.md). With the
standard propagators (`OTEL_PROPAGATORS` unset or `tracecontext,baggage`) and a message
that carries only a well-formed version-00 `traceparent`, the header is parsed here
directly into the same remote span context; anything else (`tracestate`,
`baggage`, other versions, malformed values, custom propagators) goes through
`propagate.extract` unchanged.

`drops_unsampled_parents(provider)`: whether the provider's sampler is parent-based and drops
every span whose remote parent is not sampled (the SDK's default for all `parentbased_*`
samplers). Then a consumer need not ask the SDK for a span for such an event:
the publisher's unsampled context itself is what its logs and the events it causes carry
on, with the same trace id and the same not-sampled flag, so the trace stays unsampled
downstream exactly as if a non-recording child had been started.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import Decision, ParentBased
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

#: the Kafka headers that carry the W3C trace context (and baggage) of an event
TRACE_HEADERS = frozenset({"traceparent", "tracestate", "baggage"})
_STANDARD_PROPAGATORS = {"tracecontext,baggage", "tracecontext", "baggage,tracecontext"}
_HEX = frozenset("0123456789abcdef")


def standard_propagation() -> bool:
    """Whether the process uses the W3C trace context propagators only (the default)."""
    return os.environ.get("OTEL_PROPAGATORS", "tracecontext,baggage").replace(" ", "") in _STANDARD_PROPAGATORS


def parse_traceparent(value: str) -> Context | None:
    """A remote parent context from a version-00 `traceparent`, or None when the value is not
    exactly one (the caller then asks `propagate.extract`)."""
    if (
        len(value) != 55
        or value[:3] != "00-"
        or value[35] != "-"
        or value[52] != "-"
        or not _HEX.issuperset(value[3:35] + value[36:52] + value[53:])
    ):
        return None
    trace_id, span_id = int(value[3:35], 16), int(value[36:52], 16)
    if not trace_id or not span_id:
        return None
    parent = SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(int(value[53:], 16)))
    return trace.set_span_in_context(NonRecordingSpan(parent), Context())


def remote_context(headers: Iterable[tuple[str, Any]] | None, fast: bool = True) -> Context:
    """The context to start a message's span in: its publisher's trace, or an empty context
    (a new trace) when it carries none."""
    carrier = {k: v.decode(errors="replace") for k, v in headers or () if k in TRACE_HEADERS and isinstance(v, bytes)}
    if not carrier:
        return Context()
    if fast and len(carrier) == 1 and "traceparent" in carrier:
        parsed = parse_traceparent(carrier["traceparent"])
        if parsed is not None:
            return parsed
    return propagate.extract(carrier)


def drops_unsampled_parents(provider: TracerProvider, probes: int = 32) -> bool:
    """Whether `provider` never records a span whose remote parent is not sampled (asked of its
    sampler with `probes` random unsampled parents; only a parent-based sampler qualifies)."""
    sampler = provider.sampler
    if not isinstance(sampler, ParentBased):
        return False
    rng = random.Random(0)
    for _ in range(probes):
        trace_id = rng.getrandbits(128) or 1
        parent = SpanContext(trace_id, rng.getrandbits(64) or 1, is_remote=True, trace_flags=TraceFlags(0))
        ctx = trace.set_span_in_context(NonRecordingSpan(parent), Context())
        if sampler.should_sample(ctx, trace_id, "probe", trace.SpanKind.CONSUMER).decision != Decision.DROP:
            return False
    return True


def unsampled_parent(ctx: Context) -> trace.Span | None:
    """The publisher's span in `ctx` if it is remote and not sampled, else None."""
    span = trace.get_current_span(ctx)
    sc = span.get_span_context()
    return span if sc.is_remote and sc.is_valid and not sc.trace_flags.sampled else None
