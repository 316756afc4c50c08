"""Local accounts: a JSON file of logins, roles, scopes and argon2id password hashes
(RSNMS_PORTAL_ACCOUNTS). Passwords are never stored; verifying costs an argon2 hash, so a
password guess is slow by design. `python -m services.portal hash` prints a hash for the file.

The administrator's page changes the file through this adapter (domain.accounts.AccountStore):
every change rewrites it atomically (a temporary file, mode 0600, renamed over it) while holding
an exclusive lock (`<file>.lock`), having read the file again first. The file is read again
whenever it changed since it was last read or written (another portal instance's change, an
edit by hand): a block takes effect on every instance at its next request, and two instances'
changes never overwrite each other. A file that no longer parses keeps the accounts last read.
Without a file the accounts are read-only."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from rsnms_runtime.logging import get_logger
from services.portal.domain.access import Role, User
from services.portal.domain.accounts import Account, AccountError

log = get_logger("rsnms.portal.accounts")

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
        #: (inode, mtime, size) of the file as last read or written, and of a version that did not parse
        self._seen: tuple[int, int, int] | None = None
        self._unreadable: tuple[int, int, int] | None = None
        self._take(entries)

    @classmethod
    def from_file(cls, path: str | Path | None) -> Accounts:
        if not path:
            return cls()
        accounts = cls(path=path)
        accounts._take(accounts._read())  # at start a file that does not parse is an error
        accounts._seen = accounts._mark()
        return accounts

    def _read(self) -> list[dict[str, Any]]:
        assert self._path is not None
        return list(json.loads(self._path.read_text(encoding="utf-8"))["accounts"])

    def _take(self, entries: Iterable[Mapping[str, Any]]) -> None:
        users: dict[str, tuple[User, str]] = {}
        blocked: set[str] = set()
        for e in entries:
            user = User(e["login"], Role(e["role"]), e.get("region"), e.get("municipality"), e.get("display_name", ""))
            users[user.login] = (user, e["password_hash"])
            if e.get("blocked"):
                blocked.add(user.login)
        self._users, self._blocked = users, blocked

    def _mark(self) -> tuple[int, int, int] | None:
        assert self._path is not None
        try:
            st = self._path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _refresh(self) -> bool:
        """Read the file again if it changed since this instance last read or wrote it. False
        when the file as it is now does not parse (the accounts last read stay)."""
        if self._path is None:
            return True
        mark = self._mark()
        if mark is None or mark == self._seen:
            return True
        if mark == self._unreadable:
            return False
        try:
            self._take(self._read())
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self._unreadable = mark
            log.error("accounts_file_unreadable", path=str(self._path), error=repr(exc), kept=len(self._users))
            return False
        self._seen = mark
        log.info("accounts_file_reloaded", path=str(self._path), accounts=len(self._users))
        return True

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """A change: under the file's lock, on what the file holds now, written back before the lock
        is released."""
        self._require_writable()
        assert self._path is not None
        with open(self._path.with_name(self._path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self._refresh():
                raise AccountError("Файл учётных записей не читается: исправьте его, затем повторите изменение.")
            yield
            self._save()
            self._seen = self._mark()

    def add(self, user: User, password_hash: str) -> None:
        self._users[user.login] = (user, password_hash)

    def verify(self, login: str, password: str) -> User | None:
        self._refresh()
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
        self._refresh()
        return [Account(u, u.login in self._blocked) for u, _ in sorted(self._users.values(), key=lambda e: e[0].login)]

    def is_blocked(self, login: str) -> bool:
        self._refresh()
        return login in self._blocked

    def create(self, user: User) -> str:
        password = generate_password()
        hashed = hash_password(password)
        with self._changing():
            if user.login in self._users:
                raise AccountError("Учётная запись с таким именем уже есть.")
            self._users[user.login] = (user, hashed)
        return password

    def reset_password(self, login: str) -> str:
        password = generate_password()
        hashed = hash_password(password)
        with self._changing():
            user = self._known(login)
            self._users[login] = (user, hashed)
        return password

    def update(self, user: User) -> None:
        with self._changing():
            self._known(user.login)
            self._users[user.login] = (user, self._users[user.login][1])

    def set_blocked(self, login: str, blocked: bool) -> None:
        with self._changing():
            self._known(login)
            if blocked:
                self._blocked.add(login)
            else:
                self._blocked.discard(login)

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
        self._refresh()
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
