"""Russian number and date formats for what a person reads (12 345,6; 25,0 %; 05.12.2026), with
no-break spaces between thousands and before the percent sign (as the portal writes them). Pure."""

from __future__ import annotations

from datetime import date

NBSP = "\u00a0"


def number(value: float | int | None, digits: int = 1) -> str:
    """12345.6 -> "12 345,6" (thousands separated by a space, decimal comma); None -> "—"."""
    if value is None:
        return "—"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and digits == 0):
        text = f"{int(value):,}"
    else:
        text = f"{value:,.{digits}f}"
    return text.replace(",", NBSP).replace(".", ",")


def percent(share: float | None, digits: int = 1) -> str:
    """0.25 -> "25,0 %"."""
    return "—" if share is None else f"{number(share * 100, digits)}{NBSP}%"


def points(delta: float | None) -> str:
    """A change of a share in percentage points: +0.052 -> "+5,2 п. п."."""
    if delta is None:
        return "—"
    sign = "+" if delta > 0 else ("−" if delta < 0 else "")
    return f"{sign}{number(abs(delta) * 100, 1)}{NBSP}п.{NBSP}п."


def day(value: date | None) -> str:
    """2026-12-05 -> "05.12.2026"."""
    return "—" if value is None else value.strftime("%d.%m.%Y")
