"""The settings every service shares, read from the environment (pydantic-settings).

Each service has its own model (`services/<name>/settings.py`) that extends this one with what only
it reads; the README's configuration table is generated from these models
(`python -m rsnms_runtime.config_table`). Against a production MongoDB and Kafka cluster nothing
changes but these variables. `from_env(mapping)` reads a given mapping instead of the process
environment (tests)."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self, TypeVar

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]

#: records per batch when RSNMS_BATCH_MAX_RECORDS is not set, every service alike
#: (docs/decisions/batch-size.md)
DEFAULT_BATCH = 5000

S = TypeVar("S", bound="Settings")


def env(name: str, default: Any = None, description: str = "", **constraints: Any) -> Any:
    """A field read from the environment variable `name` (also settable by field name)."""
    return Field(default, validation_alias=name, description=description, **constraints)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True,
        case_sensitive=True,
        extra="ignore",
        env_ignore_empty=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    #: the service's name (set by the service, never from the environment)
    service: str = Field(validation_alias="service", json_schema_extra={"from_env": False})
    kafka_bootstrap_servers: str = env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092", "Kafka cluster")
    kafka_username: str | None = env("KAFKA_USERNAME", None, "SASL/SCRAM-SHA-512 user of this service (optional)")
    kafka_password: str | None = env("KAFKA_PASSWORD", None, "its password (a secret: from the environment only)")
    kafka_ssl_cafile: str | None = env(
        "KAFKA_SSL_CAFILE",
        None,
        "CA certificates (PEM) the brokers' certificates are checked against: connect over TLS",
    )
    kafka_partitions: int = env("KAFKA_PARTITIONS", 3, "partitions of the topics the services create", ge=1)
    mongodb_uri: str = env("MONGODB_URI", "mongodb://127.0.0.1:27017/", "MongoDB (or FerretDB)")
    mongodb_db_prefix: str = env("RSNMS_DB_PREFIX", "rsnms", "database name prefix (`<prefix>_<service>`)")
    group_prefix: str = env("RSNMS_GROUP_PREFIX", "rsnms", "consumer group prefix (two deployments, one cluster)")
    log_level: str = env("LOG_LEVEL", "INFO", "structlog JSON log level")
    http_port: int = env(
        "RSNMS_HTTP_PORT", -1, "port of /health/live, /health/ready, /metrics (0 = any free, -1 = off)"
    )
    http_host: str = env("RSNMS_HTTP_HOST", "127.0.0.1", "address the HTTP endpoints listen on")
    batch_max_records: int = env("RSNMS_BATCH_MAX_RECORDS", DEFAULT_BATCH, "records per consumer batch", ge=1)
    batch_timeout_ms: int = env("RSNMS_BATCH_TIMEOUT_MS", 100, "longest wait to fill a batch, ms", ge=0)
    fetch_max_wait_ms: int = env(
        "RSNMS_FETCH_MAX_WAIT_MS",
        100,
        "longest time the broker holds a fetch for data to arrive, ms (Kafka's default 500)",
        ge=0,
    )
    fetch_min_bytes: int = env(
        "RSNMS_FETCH_MIN_BYTES",
        65536,
        "bytes a fetch waits for (up to RSNMS_FETCH_MAX_WAIT_MS) before the broker answers it (Kafka's default 1)",
        ge=1,
    )
    session_timeout_ms: int = env(
        "RSNMS_SESSION_TIMEOUT_MS",
        30_000,
        "how long the broker waits for a consumer's heartbeat before it drops the member, ms (aiokafka's default 10,000)",
        ge=6000,
    )
    source_keys: str | None = env(
        "RSNMS_SOURCE_KEYS", None, "outside systems' signing secrets, `source=secret,...` (unset: no check)"
    )
    source_policy: Path = env(
        "RSNMS_SOURCE_POLICY", ROOT / "deploy" / "sources.yaml", "what each outside system may publish"
    )
    otel_exporter_otlp_endpoint: str | None = env(
        "OTEL_EXPORTER_OTLP_ENDPOINT", None, "OTLP/HTTP collector for traces (unset: no export)"
    )
    otel_traces_sampler: str | None = env(
        "OTEL_TRACES_SAMPLER", None, "OpenTelemetry sampler, e.g. `parentbased_traceidratio` (default: always on)"
    )
    otel_traces_sampler_arg: str | None = env("OTEL_TRACES_SAMPLER_ARG", None, "its argument, e.g. `0.01`")
    otel_propagators: str = env("OTEL_PROPAGATORS", "tracecontext,baggage", "trace context propagation")
    retry_attempts: int = env(
        "RSNMS_RETRY_ATTEMPTS", 5, "tries of a call failing for a transient reason (broker, database unavailable)", ge=1
    )
    retry_max_delay_s: float = env(
        "RSNMS_RETRY_MAX_DELAY_S", 5.0, "longest pause between two tries, s (the first is 0.2 s, doubling)", gt=0
    )
    stuck_after_s: float = env(
        "RSNMS_STUCK_AFTER_S",
        300.0,
        "a partition with lag whose committed offset has not moved this long makes /health/ready false, s",
        gt=0,
    )
    ledger_window: int = env(
        "RSNMS_LEDGER_WINDOW", 50_000, "events of each partition the processed-events ledger remembers", ge=1
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **values: Any) -> Self:
        """The settings from `environ` only (not the process environment), plus `values`."""
        return cls.model_validate({**{k: v for k, v in environ.items() if v != ""}, **values})

    def as_(self, cls: type[S]) -> S:
        """These settings as a service's own model: its extra fields from the environment."""
        return self if isinstance(self, cls) else cls(**self.model_dump())

    def kafka_client(self) -> dict[str, Any]:
        """Keyword arguments of an aiokafka client (admin, consumer, producer) of this cluster: the
        bootstrap servers, TLS with `KAFKA_SSL_CAFILE` and, with `KAFKA_USERNAME`, SASL/SCRAM-SHA-512,
        as the services' broker."""
        options: dict[str, Any] = {"bootstrap_servers": self.kafka_bootstrap_servers}
        if self.kafka_ssl_cafile:
            options |= {"security_protocol": "SSL", "ssl_context": self.kafka_ssl_context()}
        if self.kafka_username:
            options |= {
                "security_protocol": "SASL_SSL" if self.kafka_ssl_cafile else "SASL_PLAINTEXT",
                "sasl_mechanism": "SCRAM-SHA-512",
                "sasl_plain_username": self.kafka_username,
                "sasl_plain_password": self.kafka_password or "",
            }
        return options

    def kafka_ssl_context(self) -> ssl.SSLContext | None:
        """TLS to the brokers, their certificates checked against `KAFKA_SSL_CAFILE` and their
        host names; None without it."""
        if not self.kafka_ssl_cafile:
            return None
        return ssl.create_default_context(cafile=self.kafka_ssl_cafile)

    @property
    def database(self) -> str:
        return f"{self.mongodb_db_prefix}_{self.service}"

    @property
    def group_id(self) -> str:
        return f"{self.group_prefix}.{self.service}"


class OpsSettings(Settings):
    """The operator's tools: `rsnms` and `make run` (demo)."""

    service: str = Field("ops", validation_alias="service", json_schema_extra={"from_env": False})
    service_urls: str | None = env(
        "RSNMS_SERVICE_URLS", None, "where `rsnms status` asks each service's health, `name=url,...`"
    )
    demo_http_port: int = env(
        "RSNMS_DEMO_HTTP_PORT", 8081, "first of the five ports `make run` gives registry … portal", ge=1
    )
