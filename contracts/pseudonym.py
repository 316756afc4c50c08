"""Pseudonymous educator ids: a keyed hash (HMAC-SHA256) of the SNILS.

Source systems hold the key (configuration, never the repository) and publish only
the result; the platform never sees the SNILS or a name (Federal Law 152-ФЗ).
"""

from __future__ import annotations

import hashlib
import hmac
import re

_DIGITS = re.compile(r"\D")


def educator_pseudonym(snils: str, key: bytes) -> str:
    """`ed-` and 32 hex digits of HMAC-SHA256(key, normalised SNILS)."""
    if len(key) < 16:
        raise ValueError("the pseudonymisation key must be at least 16 bytes")
    digits = _DIGITS.sub("", snils)
    if len(digits) != 11:
        raise ValueError("a SNILS has 11 digits")
    return "ed-" + hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()[:32]
