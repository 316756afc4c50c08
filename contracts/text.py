"""Text hygiene of the contracts: control characters other than ordinary whitespace (tab, line
feed, carriage return) are refused in every text field — a null byte in a title, an escape
sequence, a C1 control — with the field named; every other Unicode character is kept as sent."""

from __future__ import annotations

import re
from typing import Any

#: C0 controls but tab, LF and CR; DEL; C1 controls
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: the values that may hold text to check (records nested in them checked themselves)
TEXT_TYPES = (str, dict, list, tuple)
#: what in a JSON document's bytes may be such a character (escaped, or raw DEL / C1 in UTF-8).
#: It also matches allowed escapes (\u0009) and escaped backslashes (\\u0000): a match only sends
#: the decoded document through `find_control`, which decides
MAYBE_CONTROL = re.compile(rb"\\u00[01189][0-9a-fA-F]|\\u007[fF]|\\[bf]|\x7f|\xc2[\x80-\x9f]")
#: the one alternative of `MAYBE_CONTROL` without a backslash or DEL (a raw C1 control in UTF-8)
_RAW_C1 = re.compile(rb"\xc2[\x80-\x9f]")


def may_hold_control(data: bytes) -> bool:
    """Whether `MAYBE_CONTROL` matches `data`, answered for most documents by looking for three
    bytes (a backslash, DEL, the lead byte of C1 in UTF-8), which is several times cheaper than
    the expression over the whole document: every service asks it of every event it reads."""
    if b"\\" in data or b"\x7f" in data:
        return MAYBE_CONTROL.search(data) is not None
    return b"\xc2" in data and _RAW_C1.search(data) is not None


def find_control(value: Any, where: str = "") -> str | None:
    """The refusal for the first control character in `value` (strings, dict keys and values,
    lists), naming where it is; None if there is none."""
    if isinstance(value, str):
        found = CONTROL.search(value)
        if found:
            return (
                f"{where or '(root)'}: control character U+{ord(found.group()):04X} is not allowed in text"
                " (only tab, line feed and carriage return)"
            )
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            refusal = find_control(key, path) or find_control(item, path)
            if refusal:
                return refusal
    elif isinstance(value, (list, tuple)):
        for n, item in enumerate(value):
            refusal = find_control(item, f"{where}.{n}" if where else str(n))
            if refusal:
                return refusal
    return None


def has_control(value: Any) -> bool:
    """Whether `value` holds a control character anywhere, as `find_control` would find it (far
    cheaper: every record built is checked, and no path is named unless there is a refusal)."""
    if isinstance(value, str):
        return CONTROL.search(value) is not None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and CONTROL.search(key) is not None:
                return True
            if isinstance(item, TEXT_TYPES) and has_control(item):
                return True
        return False
    if isinstance(value, (list, tuple)):
        for item in value:
            if isinstance(item, TEXT_TYPES) and has_control(item):
                return True
    return False


def raw_control(raw: bytes | str, doc: Any) -> str | None:
    """`find_control` of a decoded JSON document, run only when its bytes may hold a control
    character (a regular expression over the bytes is far cheaper than walking every event)."""
    data = raw.encode() if isinstance(raw, str) else raw
    if not may_hold_control(data):
        return None
    return find_control(doc)
