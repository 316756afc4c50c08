"""The demo generator's history knobs: repeat diagnostic sessions and an early first session."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from demo.competencies import framework_competencies
from demo.generator import Region, RegionGenerator, RegionSpec

TODAY = date(2025, 11, 30)


def generate(**knobs: object) -> Region:
    spec = RegionSpec(municipalities=2, today=TODAY, seed=7, **knobs)  # type: ignore[arg-type]
    return RegionGenerator(spec, framework_competencies()).generate()


def sessions(region: Region) -> dict[str, list[tuple[str, date, str]]]:
    """educator id -> (session id, taken on, kind) in the order generated."""
    out: dict[str, list[tuple[str, date, str]]] = defaultdict(list)
    for e in region.diagnostics:
        p = e.payload
        out[p.educator_id].append((p.session_id, p.taken_on, p.kind))
    return out


def test_default_history_has_at_most_one_repeat():
    assert max(len(s) for s in sessions(generate()).values()) == 2


def test_more_sessions_are_numbered_repeats_months_apart_and_never_after_today():
    region = generate(diagnosed_share=1.0, repeat_share=1.0, sessions=5, first_within=60)
    by_educator = sessions(region)
    assert max(len(s) for s in by_educator.values()) == 5
    for taken in by_educator.values():
        assert [kind for _, _, kind in taken] == ["initial"] + ["repeat"] * (len(taken) - 1)
        assert [sid.rsplit("-", 1)[1] for sid, _, _ in taken] == [str(n) for n in range(1, len(taken) + 1)]
        days = [day for _, day, _ in taken]
        assert all(120 <= (b - a).days <= 300 for a, b in zip(days, days[1:], strict=False))
        assert days[-1] <= TODAY


def test_first_session_within_days_of_registration():
    region = generate(diagnosed_share=1.0, first_within=30)
    registered = {eid: person[3] for eid, person in region.people.items()}
    firsts = {eid: taken[0][1] for eid, taken in sessions(region).items()}
    assert firsts and all(0 <= (day - registered[eid]).days <= 30 for eid, day in firsts.items())


def test_same_seed_same_history():
    knobs = {"diagnosed_share": 0.9, "repeat_share": 0.8, "sessions": 4, "first_within": 90}
    assert [e.event_id for e in generate(**knobs).inbound] == [e.event_id for e in generate(**knobs).inbound]
