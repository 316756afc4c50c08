"""Contract rules: decoding, deterministic ids, topics, personal-data guard, documents in sync."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest

from contracts import (
    CnppmStaffRecorded,
    CnppmStaffRegistered,
    ContractError,
    DiagnosticResult,
    DiagnosticResultSubmitted,
    EducatorRecorded,
    ManagementTeamRecorded,
    ManagementTeamRegistered,
    OrganizationRecorded,
    OrganizationRegistered,
    ProgramCompleted,
    SupportStaffRecorded,
    SupportStaffRegistered,
    Topic,
    decode_event,
    decode_for_topic,
    inbound_topic_of,
    topic_of,
)
from contracts.events.routes import Completion
from contracts.pseudonym import educator_pseudonym
from tests.support.factories import educator_registered

ROOT = Path(__file__).resolve().parents[2]


def test_round_trip_keeps_every_field():
    event = educator_registered("RU-TST", 7)
    assert decode_event(event.to_bytes()) == event
    assert event.key == event.payload.educator_id


def test_event_id_is_deterministic_per_business_key_and_region():
    a, b = educator_registered("RU-TST", 7), educator_registered("RU-TST", 7)
    assert a.event_id == b.event_id
    assert educator_registered("RU-TST", 7, revision=2).event_id != a.event_id
    assert educator_registered("RU-OTH", 7).event_id != a.event_id


def test_content_hash_ignores_transport_time_but_not_content():
    a = educator_registered("RU-TST", 7)
    later = a.model_copy(update={"occurred_at": a.occurred_at.replace(year=2030)})
    assert later.content_hash() == a.content_hash()
    assert educator_registered("RU-TST", 7, role="manager").content_hash() != a.content_hash()


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"{not json", "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        (b"[1, 2]", "not_an_event"),
        (b'{"event_type": "TeacherPromoted"}', "unknown_event_type"),
        (b"x" * 300_000, "oversized"),
    ],
)
def test_unreadable_input_has_a_named_error(raw, kind):
    with pytest.raises(ContractError) as err:
        decode_event(raw)
    assert err.value.kind == kind


def test_unknown_version_missing_key_and_wrong_type_are_refused():
    doc = json.loads(educator_registered("RU-TST", 1).to_bytes())
    with pytest.raises(ContractError, match="unknown_schema_version"):
        decode_event(json.dumps({**doc, "schema_version": 3}))
    del doc["payload"]["role"]
    with pytest.raises(ContractError, match="payload.role: Field required"):
        decode_event(json.dumps(doc))


def test_personal_data_fields_are_refused():
    doc = json.loads(educator_registered("RU-TST", 1).to_bytes())
    doc["payload"]["full_name"] = "Иванова Мария Петровна"
    with pytest.raises(ContractError, match="full_name: Extra inputs are not permitted"):
        decode_event(json.dumps(doc))
    with pytest.raises(ValueError):
        EducatorRecorded(
            educator_id="123-456-789 00",
            role="teacher",
            organization_id="s",
            municipality_id="m",
            birth_year=1990,
            career_start=date(2015, 9, 1),
            registered_on=date(2015, 9, 1),
        )


def test_pseudonym_is_keyed_and_normalised():
    key = b"k" * 32
    assert educator_pseudonym("123-456-789 64", key) == educator_pseudonym("12345678964", key)
    assert educator_pseudonym("12345678964", key) != educator_pseudonym("12345678964", b"x" * 32)
    assert "12345678964" not in educator_pseudonym("12345678964", key)


def test_topics_declared_in_one_place():
    event = educator_registered("RU-TST", 1)
    assert topic_of(event) == Topic.REGISTRY_FACTS and inbound_topic_of(event) == Topic.REGISTRY_SUBMITTED
    done = ProgramCompleted.create(
        Completion(educator_id="ed-" + "1" * 32, program_id="p1", completed_on=date(2024, 5, 1)),
        source="ipk",
        region="RU-TST",
    )
    assert inbound_topic_of(done) == topic_of(done) == Topic.PROGRESS
    with pytest.raises(ContractError, match="wrong_topic"):
        decode_for_topic(done.to_bytes(), str(Topic.REGISTRY_SUBMITTED))


def test_checked_in_contract_documents_match_the_code(tmp_path):
    """Compared as parsed documents: FastStream may list channels in another order."""
    import yaml

    subprocess.run([str(ROOT / "deploy" / "gen-contracts"), str(tmp_path)], check=True, cwd=ROOT, capture_output=True)
    for sub in ("asyncapi", "schemas"):
        generated = sorted(p.name for p in (tmp_path / sub).iterdir())
        assert generated == sorted(
            p.name for p in (ROOT / "contracts" / sub).iterdir() if p.suffix in (".yaml", ".json")
        )
        stale = [
            name
            for name in generated
            if yaml.safe_load((tmp_path / sub / name).read_text())
            != yaml.safe_load((ROOT / "contracts" / sub / name).read_text())
        ]
        assert not stale, f"regenerate with `make asyncapi`: {stale}"


def test_v1_producers_coexist_with_v2_through_the_upcaster():
    v2 = educator_registered("RU-TST", 9)
    assert v2.schema_version == 2
    v1_doc = json.loads(v2.to_bytes())
    v1_doc["schema_version"] = 1
    for field in ("qualification_category", "subject_areas"):
        del v1_doc["payload"][field]
    from_v1 = decode_event(json.dumps(v1_doc))
    assert from_v1.schema_version == 2 and from_v1.payload.qualification_category == "none"
    assert from_v1 == v2 and from_v1.content_hash() == v2.content_hash()
    richer = educator_registered("RU-TST", 9, qualification_category="first", subject_areas=("math",))
    assert decode_event(richer.to_bytes()).payload.subject_areas == ("math",)


@pytest.mark.parametrize(
    ("event", "added", "expected"),
    [
        (
            OrganizationRegistered.create(
                OrganizationRecorded(organization_id="o1", kind="school", title="Школа", municipality_id="m1"),
                source="test",
                region="RU-TST",
            ),
            ("opened_on",),
            {"opened_on": None},
        ),
        (
            SupportStaffRegistered.create(
                SupportStaffRecorded(
                    staff_id="m1", kind="methodist", organization_id="o", municipality_id="m", capacity=9
                ),
                source="test",
                region="RU-TST",
            ),
            ("employed_from",),
            {"employed_from": None},
        ),
        (
            CnppmStaffRegistered.create(
                CnppmStaffRecorded(staff_id="c1", organization_id="o"), source="test", region="RU-TST"
            ),
            ("employed_from",),
            {"employed_from": None},
        ),
        (
            ManagementTeamRegistered.create(
                ManagementTeamRecorded(team_id="t1", organization_id="o", municipality_id="m", size=3),
                source="test",
                region="RU-TST",
            ),
            ("formed_on",),
            {"formed_on": None},
        ),
        (
            DiagnosticResultSubmitted.create(
                DiagnosticResult(
                    session_id="s1",
                    educator_id="ed-" + "0" * 16,
                    role="teacher",
                    kind="initial",
                    taken_on=date(2024, 1, 1),
                    scores={"c": 1.0},
                    conducted_by="cnppm",
                ),
                source="test",
                region="RU-TST",
            ),
            ("conducted_by", "centre_id"),
            {"conducted_by": "unknown", "centre_id": None},
        ),
    ],
    ids=lambda x: getattr(x, "event_type", None) or "",
)
def test_v1_documents_of_the_valid_time_contracts_decode_saying_what_v1_could_not(event, added, expected):
    doc = json.loads(event.to_bytes())
    assert doc["schema_version"] == 2
    doc["schema_version"] = 1
    for field in added:
        doc["payload"].pop(field, None)
    upcast = decode_event(json.dumps(doc))
    assert upcast.schema_version == 2
    assert {k: getattr(upcast.payload, k) for k in expected} == expected


def test_create_takes_the_key_and_the_business_key_as_the_whole_payloads_json_gives_them():
    """`Event.create` serialises only the key fields: the ids of every generated kind stay what
    the whole payload's JSON made them (ids already on the bus must not change)."""
    from contracts.envelope import deterministic_event_id
    from demo.competencies import framework_competencies
    from demo.generator import RegionGenerator, RegionSpec

    spec = RegionSpec(region="RU-TST", municipalities=2, schools_per_municipality=(2, 3), educators_per_school=(3, 5))
    region = RegionGenerator(spec, framework_competencies()).generate()
    kinds = {e.event_type: e for e in [*region.registry, *region.diagnostics, *region.inbound]}
    assert len(kinds) >= 15
    for e in kinds.values():
        cls = type(e)
        data = e.payload.model_dump(mode="json")
        business = "|".join(str(data[f]) for f in cls.business_key_fields or (cls.key_field,))
        made = cls.create(e.payload, source=e.source, region=e.region, occurred_at=e.occurred_at)
        assert made.key == str(data[cls.key_field])
        assert made.event_id == deterministic_event_id(e.event_type, f"{e.region}|{business}")
