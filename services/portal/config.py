"""The portal's configuration, from the environment only (secrets never in the repository)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DIRECTORY = Path(__file__).with_name("directory.yaml")


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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PortalConfig:
        env = os.environ if env is None else env
        secret = env.get("RSNMS_PORTAL_SECRET", "")
        if len(secret) < 32:
            raise ValueError("RSNMS_PORTAL_SECRET (the session signing secret) must be set, at least 32 characters")
        oidc = None
        if env.get("RSNMS_OIDC_METADATA_URL"):
            oidc = OidcConfig(
                env["RSNMS_OIDC_METADATA_URL"],
                env["RSNMS_OIDC_CLIENT_ID"],
                env["RSNMS_OIDC_CLIENT_SECRET"],
                env.get("RSNMS_OIDC_SCOPE", "openid profile"),
            )
        return cls(
            session_secret=secret,
            indicators_url=env.get("RSNMS_INDICATORS_URL", "http://127.0.0.1:8084"),
            accounts_file=env.get("RSNMS_PORTAL_ACCOUNTS") or None,
            source=env.get("RSNMS_PORTAL_SOURCE", "portal"),
            pseudonym_key=env.get("RSNMS_PSEUDONYM_KEY", "").encode(),
            api_tokens=parse_tokens(env.get("RSNMS_PORTAL_API_TOKENS", "")),
            directory_file=Path(env.get("RSNMS_PORTAL_DIRECTORY", str(DEFAULT_DIRECTORY))),
            secure_cookies=env.get("RSNMS_PORTAL_SECURE_COOKIES", "") == "1",
            oidc=oidc,
        )
