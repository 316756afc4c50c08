"""Small builders of valid events for tests."""

from __future__ import annotations

import uuid
from datetime import date

from contracts import EducatorRecorded, EducatorRegistered


def region_code() -> str:
    return "T" + uuid.uuid4().hex[:8].upper()


def educator_id(n: int | None = None) -> str:
    return "ed-" + (f"{n:032x}" if n is not None else uuid.uuid4().hex)


def educator_registered(region: str, n: int | None = None, **overrides: object) -> EducatorRegistered:
    fields: dict[str, object] = {
        "educator_id": educator_id(n),
        "role": "teacher",
        "organization_id": "sch-1",
        "municipality_id": "m-1",
        "birth_year": 1994,
        "career_start": date(2023, 9, 1),
        "registered_on": date(2023, 9, 1),
    }
    fields.update(overrides)
    return EducatorRegistered.create(EducatorRecorded(**fields), source="cnppm-test", region=region)
