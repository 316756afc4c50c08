"""Choosing a supporter: a regional methodist for a route, a mentor for a young teacher.

An active staff member of the wanted kind with spare capacity (load below the smaller of
their own capacity and the configured maximum), preferring the educator's municipality,
then the least loaded, then the smallest staff id (deterministic).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from contracts import SupportStaffRecorded


def capacity(staff: SupportStaffRecorded, max_load: int | None) -> int:
    return staff.capacity if max_load is None else min(staff.capacity, max_load)


def choose_supporter(
    staff: Iterable[SupportStaffRecorded],
    kind: str,
    load: Mapping[str, int],
    max_load: int | None,
    municipality: str | None,
) -> str | None:
    """The staff id of the best supporter with spare capacity, or None when all are full."""
    able = [s for s in staff if s.kind == kind and s.active and load.get(s.staff_id, 0) < capacity(s, max_load)]
    if not able:
        return None
    best = min(
        able,
        key=lambda s: (municipality is None or s.municipality_id != municipality, load.get(s.staff_id, 0), s.staff_id),
    )
    return best.staff_id
