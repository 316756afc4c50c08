"""Proposing a supporter: a regional methodist for a route, a mentor for a young teacher.

A proposal is decision support, never a fact: it counts for no indicator until the organization
reports a confirmed support form or attachment. The load cap (the smaller of a member's own
capacity and the configured maximum, e.g. 250 educators per regional methodist) is advice, not a
filter: a member with spare capacity is preferred; when everyone is full the least loaded is still
proposed, and the reason says the cap is exceeded. Then the educator's municipality, then the
least loaded, then the smallest staff id (deterministic).

Only a member who can take someone on is proposed: active, employed on the date the proposal is
for (`employed_from`), and with no departure known (`departed`: a member who has left, or gives
notice of a date to leave, takes on nobody new, even for a fact dated before the departure).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, NamedTuple

from contracts import SupportStaffRecorded


class Choice(NamedTuple):
    staff_id: str | None
    reason: str


def capacity(staff: SupportStaffRecorded, max_load: int | None) -> int:
    return staff.capacity if max_load is None else min(staff.capacity, max_load)


def available(s: SupportStaffRecorded, on: date | None, departed: Mapping[str, date]) -> bool:
    """Whether `s` can be proposed for something dated `on` (None: any date)."""
    employed = s.employed_from is None or on is None or s.employed_from <= on
    return s.active and employed and s.staff_id not in departed


def propose_supporter(
    staff: Iterable[SupportStaffRecorded],
    kind: str,
    load: Mapping[str, int],
    max_load: int | None,
    municipality: str | None,
    on: date | None = None,
    departed: Mapping[str, date] | None = None,
    nearby: Iterable[SupportStaffRecorded] | None = None,
) -> Choice:
    """The proposed member and why (Russian, for the people who confirm it). `nearby`: the
    members of the educator's municipality, when the caller has them at hand: one of them with
    spare capacity is the proposal whatever the others' loads, so the region's staff is only
    ranked when none has (the same choice, without ranking a region's staff for every route)."""
    departed = departed or {}
    if nearby is not None and municipality is not None:
        spare = [
            s
            for s in nearby
            if s.kind == kind
            and s.municipality_id == municipality
            and available(s, on, departed)
            and load.get(s.staff_id, 0) < capacity(s, max_load)
        ]
        if spare:
            return _chosen(
                min(spare, key=lambda s: (load.get(s.staff_id, 0), s.staff_id)), load, max_load, municipality
            )
    able = [s for s in staff if s.kind == kind and available(s, on, departed)]
    if not able:
        return Choice(None, "нет действующих сотрудников нужного вида")

    def rank(s: SupportStaffRecorded) -> tuple[Any, ...]:
        used = load.get(s.staff_id, 0)
        return (
            used >= capacity(s, max_load),
            municipality is None or s.municipality_id != municipality,
            used,
            s.staff_id,
        )

    return _chosen(min(able, key=rank), load, max_load, municipality)


def _chosen(
    best: SupportStaffRecorded, load: Mapping[str, int], max_load: int | None, municipality: str | None
) -> Choice:
    used, cap = load.get(best.staff_id, 0), capacity(best, max_load)
    if used >= cap:
        return Choice(best.staff_id, f"все перегружены; наименее загружен ({used} при рекомендуемых не более {cap})")
    where = "в муниципалитете педагога" if best.municipality_id == municipality else "в другом муниципалитете"
    return Choice(best.staff_id, f"есть свободная нагрузка ({used} из {cap}), {where}")


def choose_supporter(
    staff: Iterable[SupportStaffRecorded],
    kind: str,
    load: Mapping[str, int],
    max_load: int | None,
    municipality: str | None,
    on: date | None = None,
    departed: Mapping[str, date] | None = None,
) -> str | None:
    """The staff id `propose_supporter` proposes (None when there is no available member of the kind)."""
    return propose_supporter(staff, kind, load, max_load, municipality, on, departed).staff_id
