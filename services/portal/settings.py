"""Settings of the portal: the shared ones and its own (secrets from the environment only)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from rsnms_runtime.settings import Settings, env

DEFAULT_DIRECTORY = Path(__file__).with_name("directory.yaml")


class PortalSettings(Settings):
    service: str = Field("portal", validation_alias="service", json_schema_extra={"from_env": False})
    http_port: int = env("RSNMS_HTTP_PORT", 8085, "port of the portal's pages and API")
    portal_secret: str = env("RSNMS_PORTAL_SECRET", "", "session signing secret, at least 32 characters (required)")
    indicators_url: str = env("RSNMS_INDICATORS_URL", "http://127.0.0.1:8084", "the indicators service's HTTP API")
    portal_accounts: str | None = env("RSNMS_PORTAL_ACCOUNTS", None, "the accounts file (JSON, argon2id hashes)")
    portal_source: str = env("RSNMS_PORTAL_SOURCE", "portal", "source id of what the portal publishes (uploads)")
    pseudonym_key: str = env("RSNMS_PSEUDONYM_KEY", "", "key of the educators' pseudonymous ids (uploads)")
    portal_api_tokens: str = env("RSNMS_PORTAL_API_TOKENS", "", "HTTP ingestion tokens, `system=token,...`")
    portal_directory: Path = env(
        "RSNMS_PORTAL_DIRECTORY", DEFAULT_DIRECTORY, "names of regions and municipalities (YAML)"
    )
    portal_secure_cookies: bool = env("RSNMS_PORTAL_SECURE_COOKIES", False, "session cookies only over HTTPS (1)")
    oidc_metadata_url: str | None = env("RSNMS_OIDC_METADATA_URL", None, "a regional OpenID Connect provider")
    oidc_client_id: str | None = env("RSNMS_OIDC_CLIENT_ID", None, "its client id")
    oidc_client_secret: str | None = env("RSNMS_OIDC_CLIENT_SECRET", None, "its client secret")
    oidc_scope: str = env("RSNMS_OIDC_SCOPE", "openid profile", "the scopes asked for")
    competency_frameworks: Path | None = env(
        "RSNMS_COMPETENCY_FRAMEWORKS", None, "a region's own competency frameworks (titles on the deficit map)"
    )
