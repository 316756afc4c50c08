"""Every service's composition root takes its dependencies as parameters (stores, publisher and,
where the service reads the time, the clock), so a test injects fakes instead of reaching into
the runtime it built."""

from __future__ import annotations

import inspect

import pytest

from rsnms_runtime.settings import Settings
from services.diagnostics.entrypoints import app as diagnostics
from services.indicators.entrypoints import app as indicators
from services.registry.adapters.store import RegistryStore
from services.registry.entrypoints import app as registry
from services.routes.entrypoints import app as routes
from tests.support.diagnostics import FakeRepository
from tests.support.journal import FakeDb
from tests.support.publisher import RecordingPublisher
from tests.support.routes import FakeStore

BUILDS = {
    "registry": (registry.build, "store", lambda: RegistryStore(FakeDb())),
    "diagnostics": (diagnostics.build, "repository", FakeRepository),
    "routes": (routes.build, "store", FakeStore),
}


@pytest.mark.parametrize("service", sorted(BUILDS))
def test_a_service_is_built_on_the_store_and_publisher_it_is_given(service):
    build, store_param, make_store = BUILDS[service]
    publisher = RecordingPublisher()
    runtime = build(Settings(service=service), **{store_param: make_store()}, publisher=publisher, gate=None)
    assert runtime.publisher is publisher
    assert [c.service for c in runtime.consumers] == [service]


def test_the_indicators_are_built_on_their_stores_publisher_and_clock():
    params = inspect.signature(indicators.build).parameters
    assert {"stores", "publisher", "clock"} <= set(params)
    assert all(params[p].kind is inspect.Parameter.KEYWORD_ONLY for p in ("stores", "publisher", "clock"))
