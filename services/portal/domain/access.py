"""Who sees what: roles, the account a person signs in with, and the scope checks the
server applies to every page and export (a refusal is a 403, not a hidden menu item)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    REGIONAL = "regional"  # regional ministry or ЦНППМ analyst: own region
    MUNICIPAL = "municipal"  # municipal methodical service: own municipality
    FEDERAL = "federal"  # federal operator: every region, region-level counts only
    ADMIN = "admin"


ROLE_TITLES = {
    Role.REGIONAL: "Региональный орган управления образованием / аналитик ЦНППМ",
    Role.MUNICIPAL: "Муниципальная методическая служба",
    Role.FEDERAL: "Федеральный оператор",
    Role.ADMIN: "Администратор",
}


@dataclass(frozen=True)
class User:
    login: str
    role: Role
    region: str | None = None
    municipality: str | None = None
    display_name: str = ""

    def __post_init__(self) -> None:
        if self.role in (Role.REGIONAL, Role.MUNICIPAL) and not self.region:
            raise ValueError(f"{self.login}: a {self.role} account needs a region")
        if self.role is Role.MUNICIPAL and not self.municipality:
            raise ValueError(f"{self.login}: a municipal account needs a municipality")

    @property
    def role_title(self) -> str:
        return ROLE_TITLES[self.role]


class Forbidden(PermissionError):
    """The user may not see this (the server answers 403)."""


def can_see_region(user: User, region: str) -> bool:
    """Region-level figures (overview, passport, road map, report): own region, or every region for the
    federal operator and the administrator. A municipal service sees its municipality only."""
    if user.role in (Role.FEDERAL, Role.ADMIN):
        return True
    return user.role is Role.REGIONAL and user.region == region


def can_follow_region(user: User, region: str) -> bool:
    """The live-update signal of a region (carries no figures): anyone who sees part of it."""
    return user.role in (Role.FEDERAL, Role.ADMIN) or user.region == region


def can_see_municipality(user: User, region: str, municipality: str) -> bool:
    """A municipality's figures and its organizations: region staff of that region, the municipality's own service."""
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.REGIONAL:
        return user.region == region
    if user.role is Role.MUNICIPAL:
        return user.region == region and user.municipality == municipality
    return False  # the federal operator sees counts per region only


def can_see_all_municipalities(user: User, region: str) -> bool:
    """The region's drill-down (every municipality, every organization)."""
    return user.role is Role.ADMIN or (user.role is Role.REGIONAL and user.region == region)


def can_see_federal_table(user: User) -> bool:
    return user.role in (Role.FEDERAL, Role.ADMIN)


def can_upload(user: User, region: str) -> bool:
    """Lists of educators, programs and diagnostic results: the region's ЦНППМ (or the administrator)."""
    return user.role is Role.ADMIN or (user.role is Role.REGIONAL and user.region == region)


def can_manage_accounts(user: User) -> bool:
    """The accounts page: the administrator only."""
    return user.role is Role.ADMIN


def require(allowed: bool, what: str) -> None:
    if not allowed:
        raise Forbidden(what)


def home_path(user: User) -> str:
    if user.role is Role.MUNICIPAL:
        return f"/region/{user.region}/municipality/{user.municipality}"
    if user.role is Role.REGIONAL:
        return f"/region/{user.region}"
    return "/federal"
