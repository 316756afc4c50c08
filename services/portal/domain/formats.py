"""Russian number and date formats: 12 345,6; 45,2 %; 05.12.2026."""

from __future__ import annotations

from datetime import date, datetime

NBSP = "\u00a0"


def number(value: float | None, digits: int = 0) -> str:
    """12 345 or 12 345,6 (a narrow no-break space between thousands, a comma before decimals)."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}".replace(",", NBSP).replace(".", ",")
    return text


def percent(share: float | None, digits: int = 1) -> str:
    """A share 0..1 as 45,2 %."""
    if share is None:
        return "—"
    return number(share * 100, digits) + NBSP + "%"


def day(value: date | datetime | str | None) -> str:
    """05.12.2026."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%d.%m.%Y")


def moment(value: datetime | str | None) -> str:
    """05.12.2026 14:03 (UTC)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%d.%m.%Y %H:%M")


def indicator_value(indicator: str, value: float | None) -> str:
    """E1 is a count of educators per methodist; every other indicator is a share."""
    if indicator == "E1":
        return number(value, 1)
    return percent(value)


def indicator_target(indicator: str, target: float | None) -> str:
    if target is None:
        return "цель не установлена"
    if indicator == "E1":
        return "≤" + NBSP + number(target, 0)
    return "≥" + NBSP + percent(target, 0)


STATUS_TITLES = {True: "выполнено", False: "не выполнено", None: "—"}


def status(target_met: bool | None) -> str:
    return STATUS_TITLES[target_met]
