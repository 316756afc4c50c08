"""`python -m services.portal`: the portal (RSNMS_HTTP_PORT, default 8085).
`python -m services.portal hash` reads a password on stdin and prints its argon2id hash."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import uvicorn
import yaml
from starlette.applications import Starlette

from contracts import Event, Topic
from rsnms_runtime.kafka import EventPublisher, ensure_topics, make_broker
from rsnms_runtime.logging import configure_logging
from rsnms_runtime.sources import SourceGate, parse_keys
from services.portal.adapters.accounts import Accounts, hash_password
from services.portal.adapters.feed import AggregateFeed, Changes
from services.portal.adapters.indicators_api import IndicatorsClient
from services.portal.bootstrap import build
from services.portal.config import PortalConfig
from services.portal.domain.board import Board
from services.portal.domain.directory import Directory
from services.portal.service import Ingestion, Uploads
from services.portal.settings import PortalSettings


def app() -> Starlette:
    """The ASGI application with the real adapters, configured from the environment."""
    settings = PortalSettings()
    configure_logging("portal", settings.log_level)
    config = PortalConfig.from_settings(settings)
    board, changes = Board(), Changes()
    indicators = IndicatorsClient(config.indicators_url)
    kafka = settings.kafka_client()
    feed = AggregateFeed(kafka.pop("bootstrap_servers"), board, changes, on_change=indicators.changed, **kafka)
    broker = make_broker(settings)
    keys = parse_keys(settings.source_keys or "")
    publisher = EventPublisher(broker, keys=keys)
    gate = SourceGate.from_config(settings.source_keys, settings.source_policy)

    async def publish(events: Sequence[Event]) -> None:
        await publisher.publish_all(events, inbound=True)

    uploads = Uploads(config.source, config.pseudonym_key, gate, publish) if gate and config.pseudonym_key else None
    ingestion = Ingestion(config.api_tokens, keys, gate, publish) if gate and config.api_tokens else None

    async def start() -> None:
        await ensure_topics(settings, [str(t) for t in Topic], partitions=settings.kafka_partitions)
        await broker.start()
        await feed.start()

    async def stop() -> None:
        await feed.stop()
        await broker.stop()
        await indicators.close()

    async def ready() -> bool:
        return bool(await broker.ping(timeout=2.0))

    directory = Directory.from_document(yaml.safe_load(config.directory_file.read_text(encoding="utf-8")))
    return build(
        config,
        indicators=indicators,
        board=board,
        changes=changes,
        directory=directory,
        accounts=Accounts.from_file(config.accounts_file),
        uploads=uploads,
        ingestion=ingestion,
        on_startup=[start],
        on_shutdown=[stop],
        ready=ready,
    )


def main() -> None:
    if sys.argv[1:2] == ["hash"]:
        print(hash_password(sys.stdin.readline().rstrip("\n")))
        return
    settings = PortalSettings()
    uvicorn.run(app(), host=settings.http_host, port=settings.http_port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()
