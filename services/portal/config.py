"""The portal's configuration, from the environment only (secrets never in the repository)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from services.portal.settings import DEFAULT_DIRECTORY, PortalSettings


def parse_tokens(spec: str) -> dict[str, str]:
    """`system=token,...` (RSNMS_PORTAL_API_TOKENS); a token has at least 24 characters."""
    tokens: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in spec.split(","))):
        system, _, token = item.partition("=")
        if not system or len(token.strip()) < 24:
            raise ValueError(f"RSNMS_PORTAL_API_TOKENS: the token of {system!r} needs at least 24 characters")
        tokens[system.strip()] = token.strip()
    return tokens


@dataclass(frozen=True)
class OidcConfig:
    """An optional regional identity provider (OpenID Connect, authorization code flow). The
    person's role and scope come from claims (names configurable), checked like a local account's."""

    metadata_url: str
    client_id: str
    client_secret: str
    scope: str = "openid profile"
    role_claim: str = "rsnms_role"
    region_claim: str = "rsnms_region"
    municipality_claim: str = "rsnms_municipality"
    title: str = "Региональная учётная запись"


@dataclass(frozen=True)
class PortalConfig:
    session_secret: str
    indicators_url: str = "http://127.0.0.1:8084"
    accounts_file: str | None = None
    source: str = "portal"
    pseudonym_key: bytes = b""
    api_tokens: Mapping[str, str] = field(default_factory=dict)
    directory_file: Path = DEFAULT_DIRECTORY
    secure_cookies: bool = False
    oidc: OidcConfig | None = None
    #: a region's own competency frameworks (the titles of its competencies), as for diagnostics
    competency_frameworks: Path | None = None

    @classmethod
    def from_settings(cls, settings: PortalSettings) -> PortalConfig:
        secret = settings.portal_secret
        if len(secret) < 32:
            raise ValueError("RSNMS_PORTAL_SECRET (the session signing secret) must be set, at least 32 characters")
        oidc = None
        if settings.oidc_metadata_url:
            if not (settings.oidc_client_id and settings.oidc_client_secret):
                raise ValueError("RSNMS_OIDC_CLIENT_ID and RSNMS_OIDC_CLIENT_SECRET go with RSNMS_OIDC_METADATA_URL")
            oidc = OidcConfig(
                settings.oidc_metadata_url, settings.oidc_client_id, settings.oidc_client_secret, settings.oidc_scope
            )
        return cls(
            session_secret=secret,
            indicators_url=settings.indicators_url,
            accounts_file=settings.portal_accounts or None,
            source=settings.portal_source,
            pseudonym_key=settings.pseudonym_key.encode(),
            api_tokens=parse_tokens(settings.portal_api_tokens),
            directory_file=settings.portal_directory,
            secure_cookies=settings.portal_secure_cookies,
            oidc=oidc,
            competency_frameworks=settings.competency_frameworks,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PortalConfig:
        """From the process environment, or only from `env`."""
        return cls.from_settings(PortalSettings() if env is None else PortalSettings.from_env(env))
