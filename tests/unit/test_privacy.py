"""Dead letters keep the original message without its personal data."""

from __future__ import annotations

import json

from contracts.privacy import REDACTED, redact


def test_personal_values_are_blanked_at_any_depth_and_the_rest_is_kept():
    doc = {
        "event_type": "EducatorRegistered",
        "region": "RU-X",
        "payload": {
            "educator_id": "ed-0011",
            "Full-Name": "Иванова Мария Петровна",
            "snils": "112-233-445 95",
            "contacts": [{"email": "m@example.ru"}, {"kind": "work"}],
        },
    }
    cleaned, removed = redact(json.dumps(doc, ensure_ascii=False).encode())
    back = json.loads(cleaned)
    assert removed
    assert (
        back["payload"]["Full-Name"] == back["payload"]["snils"] == back["payload"]["contacts"][0]["email"] == REDACTED
    )
    assert back["payload"]["educator_id"] == "ed-0011" and back["payload"]["contacts"][1] == {"kind": "work"}
    assert "Иванова" not in cleaned.decode() and "112-233-445" not in cleaned.decode()


def test_formatted_snils_is_removed_even_from_unparseable_bytes_and_clean_messages_are_untouched():
    cleaned, removed = redact(b'{"broken": "112-233-445 95", ')
    assert removed and b"112-233-445" not in cleaned
    clean = b'{"event_type": "DeficitDiagnosed", "payload": {"educator_id": "ed-12345678901"}}'
    assert redact(clean) == (clean, False)
