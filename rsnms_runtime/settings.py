"""Settings read from the environment. Against a production MongoDB and Kafka
cluster nothing changes but these variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


#: records per batch when RSNMS_BATCH_MAX_RECORDS is not set. The indicators service folds a
#: batch in memory and pays a fixed cost per batch (three journal inserts and an offset commit,
#: about 35 ms on FerretDB), so it takes bigger batches: a region's replay ran 81,454 events in
#: 9.1 s with 2,000 per batch and 7.1-7.4 s with 5,000 (10,000 and 20,000 gained nothing more).
#: A batch is only that full when a backlog is waiting; at ordinary rates batches stay small.
BATCH_DEFAULTS = {"indicators": 5000}
DEFAULT_BATCH = 500


@dataclass(frozen=True)
class Settings:
    service: str
    kafka_bootstrap_servers: str = field(default_factory=lambda: _env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    mongodb_uri: str = field(default_factory=lambda: _env("MONGODB_URI", "mongodb://127.0.0.1:27017/"))
    #: database name; each service uses its own (`<prefix>_<service>`)
    mongodb_db_prefix: str = field(default_factory=lambda: _env("RSNMS_DB_PREFIX", "rsnms"))
    #: consumer group prefix, so two deployments can share one cluster
    group_prefix: str = field(default_factory=lambda: _env("RSNMS_GROUP_PREFIX", "rsnms"))
    log_level: str = field(default_factory=lambda: _env("LOG_LEVEL", "INFO"))
    #: port of the health/metrics HTTP endpoint; 0 = choose a free one, -1 = off
    http_port: int = field(default_factory=lambda: int(_env("RSNMS_HTTP_PORT", "-1")))
    #: 0 = RSNMS_BATCH_MAX_RECORDS, else the service's default (BATCH_DEFAULTS)
    batch_max_records: int = 0
    batch_timeout_ms: int = field(default_factory=lambda: int(_env("RSNMS_BATCH_TIMEOUT_MS", "100")))
    #: Kafka SASL credentials of this service (optional)
    kafka_username: str | None = field(default_factory=lambda: os.environ.get("KAFKA_USERNAME"))
    kafka_password: str | None = field(default_factory=lambda: os.environ.get("KAFKA_PASSWORD"))
    #: tries of a call that fails for a transient reason (broker or database unavailable)
    retry_attempts: int = field(default_factory=lambda: int(_env("RSNMS_RETRY_ATTEMPTS", "5")))
    #: longest pause between two tries (the first is 0.2 s, doubling)
    retry_max_delay_s: float = field(default_factory=lambda: float(_env("RSNMS_RETRY_MAX_DELAY_S", "5")))
    #: a partition with lag whose committed offset has not moved this long makes readiness false
    stuck_after_s: float = field(default_factory=lambda: float(_env("RSNMS_STUCK_AFTER_S", "300")))
    #: events of each partition the processed-events ledger remembers
    ledger_window: int = field(default_factory=lambda: int(_env("RSNMS_LEDGER_WINDOW", "50000")))

    def __post_init__(self) -> None:
        if self.batch_max_records <= 0:
            default = BATCH_DEFAULTS.get(self.service, DEFAULT_BATCH)
            object.__setattr__(self, "batch_max_records", int(_env("RSNMS_BATCH_MAX_RECORDS", str(default))))

    @property
    def database(self) -> str:
        return f"{self.mongodb_db_prefix}_{self.service}"

    @property
    def group_id(self) -> str:
        return f"{self.group_prefix}.{self.service}"
