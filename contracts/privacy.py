"""Keeping personal data off the platform's own topics.

Contracts refuse unknown fields, so a publisher that sends a name or a SNILS gets its message
dead-lettered; the dead letter keeps the original bytes for the operators, but not those
values: `redact` blanks every value under a personal-data key (ФИО, СНИЛС, contacts, passport,
date of birth) anywhere in a JSON document, and formatted SNILS numbers anywhere in the text.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: keys whose values are direct identifiers (compared lower-case, '-' and ' ' as '_')
PERSONAL_KEYS = frozenset(
    {
        "name",
        "full_name",
        "fullname",
        "first_name",
        "last_name",
        "middle_name",
        "surname",
        "patronymic",
        "fio",
        "snils",
        "inn",
        "passport",
        "email",
        "e_mail",
        "phone",
        "telephone",
        "mobile",
        "address",
        "birth_date",
        "date_of_birth",
        "birthday",
    }
)
SNILS_TEXT = re.compile(rb"\b\d{3}-\d{3}-\d{3}[ -]\d{2}\b")
REDACTED = "[redacted]"


def _blank(doc: Any) -> tuple[Any, bool]:
    if isinstance(doc, dict):
        out, hit = {}, False
        for k, v in doc.items():
            if str(k).lower().replace("-", "_").replace(" ", "_") in PERSONAL_KEYS:
                out[k], hit = REDACTED, True
            else:
                out[k], sub = _blank(v)
                hit |= sub
        return out, hit
    if isinstance(doc, list):
        items = [_blank(v) for v in doc]
        return [v for v, _ in items], any(h for _, h in items)
    return doc, False


def redact(raw: bytes) -> tuple[bytes, bool]:
    """The message without personal data, and whether anything was removed."""
    hit = False
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        doc = None
    if isinstance(doc, (dict, list)):
        doc, hit = _blank(doc)
        if hit:
            raw = json.dumps(doc, ensure_ascii=False).encode()
    cleaned, n = SNILS_TEXT.subn(REDACTED.encode(), raw)
    return cleaned, hit or n > 0
