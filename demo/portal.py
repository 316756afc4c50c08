"""The portal in `make run`: its configuration for this run (a fresh session secret, demo
accounts with fresh passwords for every role, an ingestion token for the region's ЦНППМ system),
written where the stack keeps its state, and the lines that tell a person how to sign in."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from demo.generator import DEMO_KEY
from services.portal.adapters.accounts import account_entry
from services.portal.domain.access import Role, User


def demo_users(region: str) -> list[User]:
    return [
        User("region", Role.REGIONAL, region, None, "Аналитик ЦНППМ"),
        User("mun01", Role.MUNICIPAL, region, "mun-01", "Муниципальная методическая служба"),
        User("federal", Role.FEDERAL, None, None, "Федеральный оператор"),
        User("admin", Role.ADMIN, None, None, "Администратор"),
    ]


def portal_env(region: str, state_dir: Path, indicators_url: str, system: str) -> tuple[dict[str, str], list[str]]:
    """The portal's environment for this run and the lines to print (accounts, token)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    accounts, lines = [], []
    for user in demo_users(region):
        password = secrets.token_urlsafe(12)
        accounts.append(account_entry(user, password))
        lines.append(f"  {user.login:<8} {password:<18} {user.role_title}")
    path = state_dir / "portal-accounts.json"
    path.write_text(json.dumps({"accounts": accounts}, ensure_ascii=False, indent=1), encoding="utf-8")
    path.chmod(0o600)
    token = secrets.token_urlsafe(24)
    lines.append(f"  ingestion API token of {system}: {token}")
    env = {
        "RSNMS_PORTAL_SECRET": secrets.token_urlsafe(48),
        "RSNMS_PORTAL_ACCOUNTS": str(path),
        "RSNMS_INDICATORS_URL": indicators_url,
        "RSNMS_PSEUDONYM_KEY": DEMO_KEY.decode(),  # the demo's systems pseudonymise with the same key
        "RSNMS_PORTAL_API_TOKENS": f"{system}={token}",
    }
    return env, lines
