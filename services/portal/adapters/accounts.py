"""Local accounts: a JSON file of logins, roles, scopes and argon2id password hashes
(RSNMS_PORTAL_ACCOUNTS). Passwords are never stored; verifying costs an argon2 hash, so a
password guess is slow by design. `python -m services.portal hash` prints a hash for the file.

The administrator's page changes the file through this adapter (domain.accounts.AccountStore):
every change rewrites it atomically (a temporary file, mode 0600, renamed over it). Without a file
the accounts are read-only."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from services.portal.domain.access import Role, User
from services.portal.domain.accounts import Account, AccountError

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
#: verified against when the login is unknown, so an unknown login takes as long as a wrong password
_DUMMY_HASH = HASHER.hash("not a password of anyone")


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise ValueError("a password needs at least 10 characters")
    return HASHER.hash(password)


def generate_password() -> str:
    """A one-time password shown once to the administrator: 16 URL-safe random characters."""
    return secrets.token_urlsafe(12)


class Accounts:
    def __init__(self, entries: Iterable[Mapping[str, Any]] = (), path: str | Path | None = None):
        self._users: dict[str, tuple[User, str]] = {}
        self._blocked: set[str] = set()
        self._path = Path(path) if path else None
        for e in entries:
            self.add(
                User(e["login"], Role(e["role"]), e.get("region"), e.get("municipality"), e.get("display_name", "")),
                e["password_hash"],
            )
            if e.get("blocked"):
                self._blocked.add(e["login"])

    @classmethod
    def from_file(cls, path: str | Path | None) -> Accounts:
        if not path:
            return cls()
        return cls(json.loads(Path(path).read_text(encoding="utf-8"))["accounts"], path)

    def add(self, user: User, password_hash: str) -> None:
        self._users[user.login] = (user, password_hash)

    def verify(self, login: str, password: str) -> User | None:
        user, stored = self._users.get(login, (None, _DUMMY_HASH))
        try:
            HASHER.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if user is None or login in self._blocked:
            return None
        return user

    # ---- administration (domain.accounts.AccountStore) -----------------------------------
    @property
    def writable(self) -> bool:
        return self._path is not None

    def list(self) -> list[Account]:
        return [Account(u, u.login in self._blocked) for u, _ in sorted(self._users.values(), key=lambda e: e[0].login)]

    def is_blocked(self, login: str) -> bool:
        return login in self._blocked

    def create(self, user: User) -> str:
        self._require_writable()
        if user.login in self._users:
            raise AccountError("Учётная запись с таким именем уже есть.")
        password = generate_password()
        self._users[user.login] = (user, hash_password(password))
        self._save()
        return password

    def reset_password(self, login: str) -> str:
        self._require_writable()
        user = self._known(login)
        password = generate_password()
        self._users[login] = (user, hash_password(password))
        self._save()
        return password

    def set_blocked(self, login: str, blocked: bool) -> None:
        self._require_writable()
        self._known(login)
        if blocked:
            self._blocked.add(login)
        else:
            self._blocked.discard(login)
        self._save()

    def _known(self, login: str) -> User:
        entry = self._users.get(login)
        if entry is None:
            raise AccountError("Нет такой учётной записи.")
        return entry[0]

    def _require_writable(self) -> None:
        if self._path is None:
            raise AccountError("Файл учётных записей не задан (RSNMS_PORTAL_ACCOUNTS): изменения невозможны.")

    def _save(self) -> None:
        """The whole file again: written to a temporary file (0600) next to it, then renamed over it."""
        assert self._path is not None
        entries = [
            {**_entry(user, stored), **({"blocked": True} if user.login in self._blocked else {})}
            for user, stored in (self._users[k] for k in sorted(self._users))
        ]
        body = json.dumps({"accounts": entries}, ensure_ascii=False, indent=1)
        fd, tmp = tempfile.mkstemp(prefix=".accounts-", dir=self._path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, login: str) -> User | None:
        entry = self._users.get(login)
        return entry[0] if entry else None

    def __len__(self) -> int:
        return len(self._users)


def _entry(user: User, password_hash: str) -> dict[str, Any]:
    return {
        "login": user.login,
        "role": str(user.role),
        "region": user.region,
        "municipality": user.municipality,
        "display_name": user.display_name,
        "password_hash": password_hash,
    }


def account_entry(user: User, password: str) -> dict[str, Any]:
    return _entry(user, hash_password(password))
