"""The routes use case over an in-memory store: redelivery re-emits identical events without
assigning twice, refused progress, catalogue from the same batch, capacity across a batch,
regions kept apart; configuration and composition."""

from __future__ import annotations

import pytest

from contracts import (
    Activity,
    ActivityCompleted,
    Completion,
    DeficitDiagnosed,
    EducatorRegistered,
    OrganizationRecorded,
    OrganizationRegistered,
    ProgramCompleted,
    ProgramRegistered,
    SupportStaffRegistered,
    TeamCompletion,
    TeamProgramCompleted,
    topic_of,
)
from contracts.competency import competency_titles
from contracts.topics import Topic
from rsnms_runtime.kafka import Incoming
from services.routes.domain.config import RoutePolicy
from services.routes.service import HANDLED, RoutesService
from services.routes.settings import RoutesSettings, route_policy
from tests.support.routes import (
    DAY,
    ED,
    ED2,
    FakeStore,
    R,
    deficit,
    diagnosed,
    ev,
    incoming,
    names,
    program,
    registered,
    staff,
)

OTHER = "ed-" + "e" * 32


def young(educator):
    return registered(1998, DAY.replace(year=2023), DAY, educator=educator)


def first_batch():
    return incoming(
        ev(ProgramRegistered, program("p", ["c1"])),
        ev(SupportStaffRegistered, staff("m")),
        ev(SupportStaffRegistered, staff("men", kind="mentor")),
        young(ED),
        diagnosed(deficit("c1"), deficit("dig", area="digital")),
    )


async def test_redelivered_batch_reemits_identical_events_without_double_assignment():
    store, batch = FakeStore(), first_batch()
    first = await RoutesService(store, RoutePolicy(methodist_max_load=1)).handle(batch)
    assert names(first.emit) == ["SupportProposed", "RouteAssigned", "SupportProposed"]
    route = first.emit[1].payload
    assert route.methodist_id == "m" and [i.kind for i in route.items] == ["program", "master_class", "mentoring"]
    assert all(e.region == R and e.source == "rsnms-routes" for e in first.emit)
    saved = dict(store.files_)

    # the process died after saving, before the offsets were committed: the batch comes again
    restarted = RoutesService(store, RoutePolicy(methodist_max_load=1))
    again = await restarted.handle(batch)
    assert again.emit == first.emit  # same ids, same content
    assert [e.to_bytes() for e in again.emit] == [e.to_bytes() for e in first.emit]
    assert store.files_ == saved  # nothing assigned twice, nothing rewritten
    # a source re-sending the same facts (same ids, other `occurred_at`) gets the stored events back
    assert (await restarted.handle(first_batch())).emit == first.emit
    loads = await store.loads(R)
    assert loads.methodist == {"m": 1} and loads.mentor == {}  # a proposed mentor carries nobody yet

    out = await restarted.handle(incoming(registered(educator=OTHER), diagnosed(deficit("c1"), educator=OTHER)))
    assert out.emit[0].payload.methodist_id == "m"  # at its cap (1), still proposed: the cap is advice


async def test_a_batch_that_failed_to_save_is_recomputed_identically():
    broken, clean, batch = FakeStore(), FakeStore(), first_batch()
    broken.fail_save = True
    with pytest.raises(ConnectionError):
        await RoutesService(broken).handle(batch)
    assert broken.files_ == {}
    broken.fail_save = False
    retried = await RoutesService(broken).handle(batch)
    assert retried.emit == (await RoutesService(clean).handle(batch)).emit


def at(offset: int, *events, partition: int = 0) -> list[Incoming]:
    """Events read from one partition from `offset` on."""
    return [Incoming(e, "t", partition, offset + n, e.to_bytes()) for n, e in enumerate(events)]


async def test_what_the_consumer_says_went_through_is_forgotten_and_what_may_come_again_is_kept():
    store, batch = FakeStore(), first_batch()
    service = RoutesService(store)
    first = await service.handle(batch)
    key = f"{R}:{ED}"

    def outbox() -> list[tuple[str | None, int]]:
        return [(e["at"], len(e["events"])) for e in store.files_[key]["outbox"]]

    assert outbox() == [("t:0:3", 1), ("t:0:4", 2)]  # the proposal of a mentor; the route and its methodist
    # the batch comes again (it failed after saving, or a new owner reads it): kept, re-emitted
    assert (await service.handle(batch)).emit == first.emit
    # a batch read later, the first one's parts not all published yet (a batch split to find a
    # message it fails on is applied in parts): nothing is said to have gone through, kept
    await service.handle(at(0, diagnosed(deficit("c1"), dx="dx-2"), partition=1))
    assert outbox()[:2] == [("t:0:3", 1), ("t:0:4", 2)]
    # the consumer says partition 0 went through up to offset 5 (`BatchConsumer.published`)
    service.published = {("t", 0): 5}
    later = await service.handle(at(5, diagnosed(deficit("c1"), dx="dx-3")))
    assert names(later.emit) == ["RouteCancelled", "RouteAssigned", "SupportProposed"]
    assert outbox() == [("t:0:3", 0), ("t:0:4", 0), ("t:1:0", 3), ("t:0:5", 3)]  # nothing said of partition 1
    # a cause that comes again later (a source re-sending it) emits nothing, and nothing is routed twice
    assert (await service.handle(at(6, batch[4].event))).emit == []
    assert [r.route.diagnosis_id for r in (await store.files([key]))[key].routes] == [
        batch[4].event.payload.diagnosis_id,
        "dx-2",
        "dx-3",
    ]


async def test_replayed_events_are_not_written_again():
    store = FakeStore()
    service = RoutesService(store)
    await service.handle(first_batch())
    writes = store.writes
    await service.handle(first_batch())
    assert store.writes == writes


async def test_progress_for_an_unknown_route_is_refused_and_the_rest_applied():
    store = FakeStore()
    service = RoutesService(store)
    await service.handle(first_batch())
    bad = ev(ProgramCompleted, Completion(educator_id=ED, program_id="p", route_id="route-nope", completed_on=DAY))
    good = ev(
        ProgramCompleted,
        Completion(educator_id=ED, program_id="p", route_id="route-dx-1", completed_on=DAY.replace(month=5)),
    )
    batch = incoming(bad, good)
    out = await service.handle(batch)
    assert [(inc.event.event_id, "route-nope" in reason) for inc, reason in out.rejected] == [(bad.event_id, True)]
    # accepted (and announced for the indicators); the route still has its master class and mentoring open
    assert names(out.emit) == ["ProgramCompletionAccepted"] and out.emit[0].payload == good.payload
    stored = (await store.files([f"{R}:{ED}"]))[f"{R}:{ED}"]
    assert [d.program_id for d in stored.programs_done] == ["p"] and not stored.has_applied(str(bad.event_id))


async def test_held_progress_refused_once_the_registration_arrives_is_rejected_once_with_its_position():
    store = FakeStore()
    service = RoutesService(store)
    catalogue, *_ = first_batch()
    wrong_item = ev(
        ActivityCompleted,
        Activity(educator_id=ED, activity_kind="internship", route_id="route-dx-1", item_id="f1", completed_on=DAY),
    )
    held = await service.handle([catalogue, Incoming(wrong_item, str(Topic.PROGRESS), 2, 41, wrong_item.to_bytes())])
    assert held.rejected == [] and held.emit == []  # held: the educator is not registered yet
    arrival = incoming(young(ED), diagnosed(deficit("c1")))
    out = await service.handle(arrival)
    assert [(inc.event.event_id, inc.position) for inc, _ in out.rejected] == [
        (wrong_item.event_id, (str(Topic.PROGRESS), 2, 41))
    ]
    assert "f1" in out.rejected[0][1] and "RouteAssigned" in names(out.emit)
    again = await service.handle(arrival)  # a redelivered batch: the refusal is not repeated
    assert again.rejected == [] and names(again.emit) == names(out.emit)


async def test_programs_and_staff_of_the_same_batch_are_used_and_the_highest_revision_wins():
    store = FakeStore()
    service = RoutesService(store)
    await service.handle(incoming(ev(ProgramRegistered, program("p", ["c1"], revision=2, hours=72))))
    await service.handle(incoming(ev(ProgramRegistered, program("p", ["c9"], revision=1))))  # late, older
    out = await service.handle(incoming(ev(SupportStaffRegistered, staff("m")), registered(), diagnosed(deficit("c1"))))
    [route] = [e.payload for e in out.emit if e.event_type == "RouteAssigned"]
    assert route.items[0].program_id == "p" and route.items[0].hours == 72 and route.methodist_id == "m"


async def test_capacity_holds_across_educators_of_one_batch():
    store = FakeStore()
    await store.save_catalogue(R, [program("p", ["c1"])], [staff("a"), staff("b", muni="m2")])
    eds = [ED, ED2, OTHER]
    out = await RoutesService(store, RoutePolicy(methodist_max_load=1)).handle(
        incoming(
            *(registered(educator=e) for e in eds),
            *(diagnosed(deficit("c1"), educator=e, dx=f"dx-{n}") for n, e in enumerate(eds)),
        )
    )
    # the cap is advice: when every methodist is full, the least loaded is still proposed
    assert [e.payload.methodist_id for e in out.emit if e.event_type == "RouteAssigned"] == ["a", "b", "a"]
    proposals = [e.payload for e in out.emit if e.event_type == "SupportProposed"]
    assert [p.staff_id for p in proposals] == ["a", "b", "a"] and "перегружены" in proposals[2].reason


async def test_regions_are_kept_apart():
    store = FakeStore()
    service = RoutesService(store)
    out = await service.handle(
        incoming(
            registered(),
            diagnosed(deficit("c1")),
            ev(EducatorRegistered, registered().payload, region="RU-OTH"),
            ev(DeficitDiagnosed, diagnosed(deficit("c1")).payload, region="RU-OTH"),
        )
    )
    assert [e.region for e in out.emit] == [R, R, "RU-OTH", "RU-OTH"]
    assert out.emit[0].event_id != out.emit[2].event_id
    assert sorted(store.files_) == [f"RU-OTH:{ED}", f"{R}:{ED}"]


async def test_events_the_service_does_not_use_are_ignored_and_team_progress_is_accepted_as_reported():
    store = FakeStore()
    out = await RoutesService(store).handle(
        incoming(
            ev(TeamProgramCompleted, TeamCompletion(team_id="t1", program_id="p", completed_on=DAY)),
            ev(
                OrganizationRegistered,
                OrganizationRecorded(organization_id="s1", kind="school", title="Школа", municipality_id="m1"),
            ),
        )
    )
    assert names(out.emit) == ["TeamCompletionAccepted"] and out.emit[0].payload.team_id == "t1"
    assert out.rejected == [] and store.files_ == {} and store.writes == 0


def test_policy_from_the_settings():
    assert route_policy(RoutesSettings.from_env({})) == RoutePolicy(budget_hours=144, methodist_max_load=250)
    env = {"RSNMS_ROUTE_BUDGET_HOURS": "72", "RSNMS_METHODIST_MAX_LOAD": "100"}
    policy = route_policy(RoutesSettings.from_env(env))
    assert (policy.budget_hours, policy.methodist_max_load) == (72, 100)
    for bad in ("0", "-5", "lots"):
        with pytest.raises(ValueError, match="RSNMS_ROUTE_BUDGET_HOURS"):
            RoutesSettings.from_env({"RSNMS_ROUTE_BUDGET_HOURS": bad})


def test_competency_titles_come_from_the_framework_files(tmp_path):
    titles = competency_titles()
    assert titles["digital_platforms"] == "Работа с цифровыми образовательными платформами"
    (tmp_path / "f.yaml").write_text(
        "areas:\n  a:\n    competencies:\n      x1: {title: Икс, threshold: 50}\n", encoding="utf-8"
    )
    assert competency_titles(tmp_path) == {**titles, "x1": "Икс"}  # a region's directory adds to the shipped
    assert competency_titles(tmp_path / "missing") == titles


def test_the_service_consumes_its_three_topics(monkeypatch):
    from types import SimpleNamespace

    from rsnms_runtime.settings import Settings
    from services.routes.entrypoints import app

    seen = {}
    consumer = SimpleNamespace(published={("t", 0): 1})

    def consume(self, topics, handler, group_suffix="", handles=None):
        seen.update(topics=topics, handler=handler, handles=handles)
        return consumer

    monkeypatch.setattr(app.ServiceRuntime, "consume", consume)
    runtime = app.build(Settings(service="routes"), gate=None)
    assert set(seen["topics"]) == {str(Topic.DEFICITS), str(Topic.REGISTRY_FACTS), str(Topic.PROGRESS)}
    assert seen["handles"] == HANDLED
    assert seen["handler"].__self__.published is consumer.published  # what went through, as the consumer says
    assert runtime.settings.service == "routes"


async def test_every_kind_on_its_topics_it_does_not_handle_does_nothing():
    """The consumer passes over what is not in HANDLED without decoding it: the service must
    really do nothing with those kinds (a generated region has every registry fact)."""
    from demo.competencies import framework_competencies
    from demo.generator import RegionGenerator, RegionSpec
    from services.routes.entrypoints.app import INPUTS

    spec = RegionSpec(region=R, municipalities=2, schools_per_municipality=(2, 3), educators_per_school=(3, 5))
    region = RegionGenerator(spec, framework_competencies()).generate()
    kinds = {e.event_type: e for e in [*region.registry, *region.diagnostics, *region.inbound]}
    ignored = [e for t, e in kinds.items() if t not in HANDLED and topic_of(e) in INPUTS]
    assert {"OrganizationRegistered", "MethodistAttachmentReported", "SupportFormReported"} <= {
        e.event_type for e in ignored
    }
    store = FakeStore()
    out = await RoutesService(store).handle(incoming(*ignored))
    assert out.emit == [] and out.rejected == [] and store.files_ == {} and store.writes == 0


async def test_a_big_batch_lets_the_event_loop_turn():
    from services.routes.service import TURN_EVERY
    from tests.support.loop import turns_during

    educators = [f"ed-{n:032x}" for n in range(TURN_EVERY * 2)]
    batch = incoming(*(registered(educator=e) for e in educators))
    outcomes = []

    async def handle() -> None:
        outcomes.append(await RoutesService(FakeStore()).handle(batch))

    assert await turns_during(handle) >= 2 and outcomes[0].rejected == []
