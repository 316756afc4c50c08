"""Account administration: the port the pages use (an account store) and the checks of a new
account's fields (messages in Russian, by field). The store's file format is the adapter's business."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from services.portal.domain.access import Role, User
from services.portal.domain.directory import Directory

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")


@dataclass(frozen=True)
class Account:
    user: User
    blocked: bool = False


class AccountError(ValueError):
    """A change the store refuses (unknown or duplicate login); the message is Russian."""


class AccountStore(Protocol):
    """Accounts as the administrator's page sees them; `writable` is false without an accounts file."""

    @property
    def writable(self) -> bool: ...

    def list(self) -> list[Account]: ...

    def get(self, login: str) -> User | None: ...

    def verify(self, login: str, password: str) -> User | None:
        """The account if the password is right and the account is not blocked."""
        ...

    def is_blocked(self, login: str) -> bool: ...

    def create(self, user: User) -> str:
        """Stores the account with a generated password and returns that password (shown once)."""
        ...

    def reset_password(self, login: str) -> str: ...

    def update(self, user: User) -> None:
        """Gives the account `user.login` that name, role, region and municipality (password and
        status kept)."""
        ...

    def set_blocked(self, login: str, blocked: bool) -> None: ...


def check_new_account(
    login: str, display_name: str, role: str, region: str, municipality: str, directory: Directory
) -> tuple[User | None, dict[str, str]]:
    """A new account from the form's fields, or the errors by field name."""
    errors: dict[str, str] = {}
    if not LOGIN.match(login):
        errors["login"] = (
            "Имя пользователя: 3–40 символов, строчные латинские буквы, цифры, точка, дефис, подчёркивание."
        )
    if not display_name.strip():
        errors["display_name"] = "Укажите имя или название организации."
    elif len(display_name) > 200:
        errors["display_name"] = "Не длиннее 200 символов."
    try:
        r = Role(role)
    except ValueError:
        errors["role"] = "Выберите роль."
        return None, errors
    if r in (Role.REGIONAL, Role.MUNICIPAL):
        if not region:
            errors["region"] = "Для этой роли нужен регион."
        elif region not in directory.regions:
            errors["region"] = "Такого региона нет в справочнике."
    elif region:
        errors["region"] = "Для этой роли регион не указывается."
    if r is Role.MUNICIPAL:
        if not municipality:
            errors["municipality"] = "Для муниципальной службы нужен муниципалитет."
        elif region and municipality not in directory.municipalities.get(region, {}):
            errors["municipality"] = "Такого муниципалитета нет в выбранном регионе."
    elif municipality:
        errors["municipality"] = "Для этой роли муниципалитет не указывается."
    if errors:
        return None, errors
    return User(login, r, region or None, municipality or None, display_name.strip()), {}
