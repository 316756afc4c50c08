"""The diagnostics use case over an in-memory repository: a repeat in the same batch sees the
initial, redelivery re-emits the identical event and never diagnoses a session twice,
refusals with their reasons, late results, regions kept apart, one read and one write per
batch; composition of the service."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import Topic
from services.diagnostics.repository import educator_key
from tests.support.diagnostics import (
    DAY,
    ED,
    ED2,
    LATER,
    FakeRepository,
    R,
    dump,
    incoming,
    result,
    service,
    submitted,
)


def initial_and_repeat():
    return incoming(
        result({"digital_platforms": 40, "digital_content": 30}),
        result({"digital_platforms": 70, "digital_content": 40}, session="s2", kind="repeat", day=LATER),
    )


async def test_a_repeat_in_the_same_batch_sees_the_initial():
    svc, repo = service()
    out = await svc.handle(initial_and_repeat())
    assert out.rejected == []
    first, repeat = (e.payload for e in out.emit)
    assert [first.diagnosis_id, repeat.diagnosis_id] == ["dx-s1", "dx-s2"]
    assert repeat.previous_diagnosis_id == "dx-s1" and repeat.closed_competencies == ("digital_platforms",)
    assert repeat.growth == {"digital_content": 10.0, "digital_platforms": 30.0}
    assert all(e.source == "rsnms-diagnostics" and e.region == R and e.key == ED for e in out.emit)
    assert repo.latest[educator_key(R, ED)].diagnosis_id == "dx-s2"
    assert repo.calls == {"load": 1, "history": 0, "save": 1}


async def test_a_repeat_in_a_later_batch_sees_the_stored_initial():
    svc, repo = service()
    batch = initial_and_repeat()
    await svc.handle(batch[:1])
    [repeat] = (await svc.handle(batch[1:])).emit
    assert repeat.payload.previous_diagnosis_id == "dx-s1"
    assert repeat.payload.closed_competencies == ("digital_platforms",)


async def test_redelivery_reemits_the_identical_events_and_writes_no_new_diagnosis():
    svc, repo = service()
    batch = initial_and_repeat()
    first = await svc.handle(batch)
    again = await service(repo)[0].handle(batch)  # e.g. a restarted instance
    assert dump(again.emit) == dump(first.emit)  # same ids, content and occurred_at: stored, not recomputed
    assert repo.saved[-1] == ([], [])


async def test_the_same_session_sent_again_as_a_new_event_reemits_the_stored_diagnosis():
    svc, repo = service()
    r = result({"digital_platforms": 40})
    first = await svc.handle(incoming(r))
    resent = submitted(r).model_copy(update={"source": "other-platform"})
    again = await svc.handle(incoming(resent))
    assert dump(again.emit) == dump(first.emit) and again.rejected == []


async def test_a_crash_between_the_writes_still_moves_the_latest_pointer_on_redelivery():
    repo = FakeRepository()
    repo.crash_before_latest = True
    svc, _ = service(repo)
    batch = initial_and_repeat()
    with pytest.raises(ConnectionError):
        await svc.handle(batch[:1])
    assert educator_key(R, ED) not in repo.latest
    redelivered = await svc.handle(batch)
    assert redelivered.emit[1].payload.previous_diagnosis_id == "dx-s1"
    assert repo.latest[educator_key(R, ED)].diagnosis_id == "dx-s2"


async def test_a_session_id_reused_with_other_scores_is_refused_and_the_first_diagnosis_stands():
    svc, repo = service()
    first = await svc.handle(incoming(result({"digital_platforms": 40})))
    out = await svc.handle(incoming(result({"digital_platforms": 90}), result({"digital_platforms": 40}, educator=ED2)))
    assert out.emit == [] and len(out.rejected) == 2
    assert all("session s1 was already diagnosed as dx-s1 from other results" in why for _, why in out.rejected)
    assert all("ed-" not in why for _, why in out.rejected)
    assert dump(list(repo.events.values())) == dump(first.emit)


async def test_refused_results_are_dead_lettered_with_their_reason_and_the_rest_applied():
    svc, repo = service()
    batch = incoming(
        result({"juggling": 1}, session="s-bad"),
        result({"digital_platforms": 40}, session="s-fw", framework="other-fw"),
        result({"digital_platforms": 400}, session="s-range"),
        result({"digital_platforms": 40}, session="s-ok"),
    )
    out = await svc.handle(batch)
    assert [e.payload.diagnosis_id for e in out.emit] == ["dx-s-ok"]
    reasons = {inc.offset: why for inc, why in out.rejected}
    assert reasons == {
        0: "competencies not in framework ps-teacher-2024: juggling",
        1: "unknown competency framework 'other-fw' (known: ps-teacher-2024)",
        2: "scores must be numbers from 0 to 100: digital_platforms",
    }
    assert set(repo.events) == {f"{R}:dx-s-ok"}


async def test_a_refused_initial_leaves_the_repeat_without_a_previous():
    svc, _ = service()
    out = await svc.handle(
        incoming(result({"juggling": 1}), result({"digital_platforms": 70}, session="s2", kind="repeat", day=LATER))
    )
    assert len(out.rejected) == 1 and out.emit[0].payload.previous_diagnosis_id is None


async def test_a_late_result_is_compared_with_the_diagnosis_before_it_and_the_pointer_stays():
    svc, repo = service()
    await svc.handle(
        incoming(
            result({"digital_platforms": 30}, session="jan", day=date(2024, 1, 10)),
            result({"digital_platforms": 80}, session="sep", day=date(2024, 9, 10)),
        )
    )
    [late] = (await svc.handle(incoming(result({"digital_platforms": 50}, session="may", day=date(2024, 5, 10))))).emit
    assert late.payload.previous_diagnosis_id == "dx-jan" and late.payload.growth == {"digital_platforms": 20.0}
    assert repo.calls["history"] == 1 and repo.latest[educator_key(R, ED)].diagnosis_id == "dx-sep"
    [newest] = (
        await svc.handle(incoming(result({"digital_platforms": 85}, session="dec", day=date(2024, 12, 10))))
    ).emit
    assert newest.payload.previous_diagnosis_id == "dx-sep" and repo.calls["history"] == 1


async def test_out_of_order_results_in_one_batch_each_get_the_right_previous():
    svc, repo = service()
    out = await svc.handle(
        incoming(
            result({"digital_platforms": 80}, session="sep", day=date(2024, 9, 10)),
            result({"digital_platforms": 30}, session="jan", day=date(2024, 1, 10)),
        )
    )
    sep, jan = (e.payload for e in out.emit)
    assert sep.previous_diagnosis_id is None and jan.previous_diagnosis_id is None
    assert repo.latest[educator_key(R, ED)].diagnosis_id == "dx-sep"


async def test_two_sessions_on_one_day_are_ordered_by_session_id():
    svc, _ = service()
    out = await svc.handle(
        incoming(
            result({"digital_platforms": 40}, session="a1", day=DAY),
            result({"digital_platforms": 60}, session="a2", day=DAY),
        )
    )
    assert out.emit[1].payload.previous_diagnosis_id == "dx-a1"


async def test_regions_are_kept_apart():
    svc, repo = service()
    r = result({"digital_platforms": 40})
    a = await svc.handle(incoming(r, region="RU-AAA"))
    b = await svc.handle(incoming(r, region="RU-BBB"))
    assert a.emit[0].region == "RU-AAA" and b.emit[0].region == "RU-BBB"
    assert a.emit[0].event_id != b.emit[0].event_id and b.rejected == []
    repeat = await svc.handle(incoming(result({"digital_platforms": 70}, session="s2", day=LATER), region="RU-BBB"))
    assert repeat.emit[0].payload.previous_diagnosis_id == "dx-s1" and len(repo.latest) == 2


async def test_educators_are_kept_apart_in_one_batch():
    svc, _ = service()
    out = await svc.handle(
        incoming(
            result({"digital_platforms": 40}, session="a"),
            result({"digital_platforms": 70}, session="b", educator=ED2, day=LATER),
        )
    )
    assert [e.payload.previous_diagnosis_id for e in out.emit] == [None, None]


async def test_an_empty_batch_reads_and_writes_nothing():
    svc, repo = service()
    assert (await svc.handle([])).emit == [] and repo.calls == {"load": 0, "history": 0, "save": 0}


def test_the_service_consumes_the_diagnostic_results_topic(monkeypatch):
    from rsnms_runtime.settings import Settings
    from services.diagnostics.entrypoints import app

    seen = {}
    monkeypatch.setattr(
        app.ServiceRuntime, "consume", lambda self, topics, handler, group_suffix="": seen.setdefault("topics", topics)
    )
    runtime = app.build(Settings(service="diagnostics"), gate=None)
    assert seen["topics"] == [str(Topic.DIAGNOSTIC_RESULTS)] and runtime.settings.service == "diagnostics"
