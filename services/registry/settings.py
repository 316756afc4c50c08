"""Settings of the registry service: the shared ones only."""

from __future__ import annotations

from pydantic import Field

from rsnms_runtime.settings import Settings


class RegistrySettings(Settings):
    service: str = Field("registry", validation_alias="service", json_schema_extra={"from_env": False})
