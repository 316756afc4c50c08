"""The fast `traceparent` reader gives exactly the context `propagate.extract` gives, and
hands everything it does not parse itself to `propagate.extract`; the consumer gives an
event of an unsampled trace no span of its own only when the sampler would drop it."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, ParentBasedTraceIdRatio

from rsnms_runtime import tracecontext
from rsnms_runtime.kafka import BatchConsumer, Incoming
from rsnms_runtime.tracecontext import drops_unsampled_parents, remote_context, standard_propagation
from tests.support.factories import educator_registered

rng = random.Random(7)


def span_context(ctx):
    sc = trace.get_current_span(ctx).get_span_context()
    return sc.trace_id, sc.span_id, sc.is_remote, int(sc.trace_flags), tuple(sc.trace_state.items())


def valid(flags: str = "01") -> str:
    return f"00-{rng.getrandbits(128):032x}-{rng.getrandbits(64):016x}-{flags}"


WELL_FORMED = [valid("01"), valid("00"), valid("03"), valid("ff")]
ODD = [
    "00-" + "0" * 32 + "-b7ad6b7169203331-01",  # all-zero trace id
    "00-0af7651916cd43dd8448eb211c80319c-" + "0" * 16 + "-01",  # all-zero span id
    "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",  # upper case
    "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",  # a later version
    "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # the forbidden version
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",  # no flags
    " 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # leading blank
    "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",  # not hex
    "garbage",
    "",
]


@pytest.mark.parametrize("value", WELL_FORMED + ODD)
def test_same_context_as_the_standard_propagator(value):
    headers = [("content-type", b"application/json"), ("traceparent", value.encode())]
    assert span_context(remote_context(headers)) == span_context(propagate.extract({"traceparent": value}))


@pytest.mark.parametrize("value", WELL_FORMED)
def test_well_formed_traceparent_alone_is_read_without_the_generic_propagator(value, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("propagate.extract called")

    monkeypatch.setattr(tracecontext.propagate, "extract", refuse)
    ctx = remote_context([("traceparent", value.encode())])
    assert span_context(ctx)[:2] == (int(value[3:35], 16), int(value[36:52], 16))


def test_tracestate_baggage_or_the_slow_path_go_through_the_generic_propagator(monkeypatch):
    calls = []
    extract = propagate.extract
    monkeypatch.setattr(tracecontext.propagate, "extract", lambda carrier: calls.append(carrier) or extract(carrier))
    parent = valid()
    with_state = remote_context([("traceparent", parent.encode()), ("tracestate", b"vendor=x")])
    remote_context([("traceparent", parent.encode()), ("baggage", b"k=v")])
    remote_context([("traceparent", parent.encode())], fast=False)
    assert len(calls) == 3
    assert span_context(with_state)[4] == (("vendor", "x"),)


def test_no_trace_headers_start_a_new_trace():
    assert not trace.get_current_span(remote_context([("event_type", b"X")])).get_span_context().is_valid
    assert not trace.get_current_span(remote_context(None)).get_span_context().is_valid


def test_custom_propagators_turn_the_fast_path_off(monkeypatch):
    monkeypatch.delenv("OTEL_PROPAGATORS", raising=False)
    assert standard_propagation()
    monkeypatch.setenv("OTEL_PROPAGATORS", "tracecontext, baggage")
    assert standard_propagation()
    monkeypatch.setenv("OTEL_PROPAGATORS", "b3")
    assert not standard_propagation()


# --- the consumer's spans -----------------------------------------------------------------


def test_only_parent_based_samplers_that_drop_unsampled_parents_qualify():
    assert drops_unsampled_parents(TracerProvider())  # the SDK default: parentbased_always_on
    assert drops_unsampled_parents(TracerProvider(sampler=ParentBasedTraceIdRatio(0.01)))
    assert not drops_unsampled_parents(TracerProvider(sampler=ALWAYS_ON))
    assert not drops_unsampled_parents(
        TracerProvider(sampler=ParentBased(ALWAYS_ON, remote_parent_not_sampled=ALWAYS_ON))
    )


def _spans_for(provider: TracerProvider, traceparents: list[str | None]):
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    consumer = BatchConsumer(
        "test",
        handler=None,
        publisher=None,
        ledger=None,  # type: ignore[arg-type]
        tracer=provider.get_tracer("t"),
        drops_unsampled_parents=drops_unsampled_parents(provider),
    )
    topic = "rsnms.registry.facts"
    events = [educator_registered("RU-TST", n) for n in range(len(traceparents))]
    fresh = [
        Incoming(e, topic, 0, n, e.to_bytes(), SimpleNamespace(headers=[("traceparent", tp.encode())] if tp else []))
        for n, (e, tp) in enumerate(zip(events, traceparents, strict=True))
    ]
    spans = consumer.spans_for(fresh, 0)
    recording = [spans[str(e.event_id)].is_recording() for e in events]
    for span in spans.values():
        span.end()
    return [spans[str(e.event_id)] for e in events], recording, exporter.get_finished_spans()


def test_an_unsampled_trace_is_carried_on_without_a_span_and_a_sampled_one_gets_a_child():
    sampled, unsampled = valid("01"), valid("00")
    (child, carried, root), recording, finished = _spans_for(TracerProvider(), [sampled, unsampled, None])
    assert recording == [True, False, True]
    assert child.get_span_context().trace_id == int(sampled[3:35], 16)
    assert child.parent.span_id == int(sampled[36:52], 16)
    # the publisher's context itself: same trace and span id, not sampled, nothing recorded
    sc = carried.get_span_context()
    assert (sc.trace_id, sc.span_id, sc.is_remote, sc.trace_flags.sampled) == (
        int(unsampled[3:35], 16),
        int(unsampled[36:52], 16),
        True,
        False,
    )
    assert root.parent is None  # no trace context: a new trace
    assert {s.context.span_id for s in finished} == {child.get_span_context().span_id, root.get_span_context().span_id}
    assert dict(child.attributes)["rsnms.event_id"]


def test_a_sampler_that_records_unsampled_parents_still_gets_a_span_for_each():
    unsampled = valid("00")
    (span,), recording, finished = _spans_for(TracerProvider(sampler=ALWAYS_ON), [unsampled])
    assert recording == [True] and len(finished) == 1
    assert finished[0].parent.span_id == int(unsampled[36:52], 16)
