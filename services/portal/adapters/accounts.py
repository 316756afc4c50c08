"""Local accounts: a JSON file of logins, roles, scopes and argon2id password hashes
(RSNMS_PORTAL_ACCOUNTS). Passwords are never stored; verifying costs an argon2 hash, so a
password guess is slow by design. `python -m services.portal hash` prints a hash for the file."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from services.portal.domain.access import Role, User

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
#: verified against when the login is unknown, so an unknown login takes as long as a wrong password
_DUMMY_HASH = HASHER.hash("not a password of anyone")


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise ValueError("a password needs at least 10 characters")
    return HASHER.hash(password)


class Accounts:
    def __init__(self, entries: Iterable[Mapping[str, Any]] = ()):
        self._users: dict[str, tuple[User, str]] = {}
        for e in entries:
            self.add(
                User(e["login"], Role(e["role"]), e.get("region"), e.get("municipality"), e.get("display_name", "")),
                e["password_hash"],
            )

    @classmethod
    def from_file(cls, path: str | Path | None) -> Accounts:
        if not path:
            return cls()
        return cls(json.loads(Path(path).read_text(encoding="utf-8"))["accounts"])

    def add(self, user: User, password_hash: str) -> None:
        self._users[user.login] = (user, password_hash)

    def verify(self, login: str, password: str) -> User | None:
        user, stored = self._users.get(login, (None, _DUMMY_HASH))
        try:
            HASHER.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return user

    def get(self, login: str) -> User | None:
        entry = self._users.get(login)
        return entry[0] if entry else None

    def __len__(self) -> int:
        return len(self._users)


def account_entry(user: User, password: str) -> dict[str, Any]:
    return {
        "login": user.login,
        "role": str(user.role),
        "region": user.region,
        "municipality": user.municipality,
        "display_name": user.display_name,
        "password_hash": hash_password(password),
    }
