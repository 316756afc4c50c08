"""Competency frameworks: the shipped default loads and validates, invalid files are refused,
a region's directory adds or replaces frameworks, selection of a result's framework."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from demo.competencies import framework_competencies
from services.diagnostics.config import (
    DEFAULT_FRAMEWORK_ID,
    SHIPPED_DIR,
    FrameworkFileError,
    frameworks_from_env,
    load_framework,
    load_frameworks,
)
from services.diagnostics.domain.errors import UnknownFramework
from services.diagnostics.domain.framework import Framework, Frameworks

DEFAULT_FILE = SHIPPED_DIR / "default.yaml"


def raw() -> dict:
    return yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))


def write(directory: Path, name: str, doc: dict) -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_the_default_framework_loads_with_the_areas_of_the_professional_standard():
    fw = load_framework(DEFAULT_FILE)
    assert fw.framework_id == DEFAULT_FRAMEWORK_ID == "ps-teacher-2024"
    assert list(fw.areas) == ["subject", "methodical", "psychological_pedagogical", "digital", "management"]
    assert [a.title.split()[0] for a in fw.areas.values()] == [
        "Предметная",
        "Методическая",
        "Психолого-педагогическая",
        "Цифровая",
        "Управленческая",
    ]
    assert all(len(a.competencies) == 3 for a in fw.areas.values())
    assert fw.areas["management"].roles == ("manager",)
    assert all(set(a.roles) == {"teacher", "manager"} for k, a in fw.areas.items() if k != "management")
    assert (fw.severity.severe_from, fw.severity.critical_from) == (15, 30)
    assert fw.severity.titles["critical"] == "Критический дефицит"


def test_teachers_are_assessed_on_12_competencies_and_managers_on_15():
    fw = load_framework(DEFAULT_FILE)
    teacher, manager = fw.competencies_for("teacher"), fw.competencies_for("manager")
    assert len(teacher) == 12 and len(manager) == 15
    assert set(manager) - set(teacher) == {"management_quality", "management_strategy", "management_team"}
    # what the demo generator scores is exactly what the framework assesses per role
    assert {r: set(ids) for r, ids in framework_competencies(DEFAULT_FILE).items()} == {
        "teacher": set(teacher),
        "manager": set(manager),
    }


def test_the_lookups_follow_the_areas_of_a_copy_and_do_not_change_what_a_framework_equals():
    fw = load_framework(DEFAULT_FILE)
    assert fw.locate("digital_safety") is not None  # the lookups of `fw` are built now
    management = fw.areas["management"]
    copy = fw.model_copy(update={"areas": {"management": management}})
    assert copy.locate("digital_safety") is None
    assert set(copy.competencies_for("manager")) == set(management.competencies)
    assert copy.competencies_for("teacher") == {}
    assert fw.locate("digital_safety") is not None
    assert fw == load_framework(DEFAULT_FILE) and fw.model_dump() == load_framework(DEFAULT_FILE).model_dump()


def test_every_id_is_a_safe_document_key_and_thresholds_are_scores():
    fw = load_framework(DEFAULT_FILE)
    for _area_id, area in fw.areas.items():
        for cid, c in area.competencies.items():
            assert "." not in cid and not cid.startswith("$") and cid.islower(), cid
            assert 0 < c.threshold < 100 and c.title


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["areas"]["digital"]["competencies"].update(
                {"digital.lms_use": {"title": "x", "threshold": 50}}
            ),
            "digital.lms_use",
        ),
        (lambda d: d["areas"]["digital"]["competencies"].update({"$lms": {"title": "x", "threshold": 50}}), r"\$lms"),
        (
            lambda d: d["areas"]["digital"]["competencies"].update(
                {"subject_knowledge": {"title": "x", "threshold": 50}}
            ),
            "subject_knowledge.*subject.*digital",
        ),
        (lambda d: d["areas"]["digital"]["competencies"]["digital_safety"].update(threshold=120), "less than or equal"),
        (lambda d: d["severity"].update(critical_from=10), "critical_from"),
        (lambda d: d["areas"]["management"].update(roles=["director"]), "teacher"),
        (lambda d: d["areas"]["management"].update(roles=[]), "at least 1"),
        (lambda d: d["areas"]["digital"].update(competencies={}), "at least 1"),
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d.update(framework_id="bad id"), "framework_id"),
    ],
)
def test_invalid_frameworks_are_refused(change, message):
    doc = raw()
    change(doc)
    with pytest.raises(ValidationError, match=message):
        Framework.model_validate(doc)


def test_a_broken_file_stops_the_loading_with_its_name(tmp_path):
    write(tmp_path, "broken.yaml", {"framework_id": "x"})
    with pytest.raises(FrameworkFileError, match="broken.yaml"):
        load_frameworks(tmp_path)
    with pytest.raises(FrameworkFileError, match="no such directory"):
        load_frameworks(tmp_path / "missing")


def test_a_region_directory_adds_frameworks_and_replaces_a_shipped_one_by_id(tmp_path):
    own = raw() | {"framework_id": "yev-2025", "title": "Рамка ЕАО"}
    replaced = raw()
    replaced["areas"]["digital"]["competencies"]["digital_safety"]["threshold"] = 70
    write(tmp_path, "yev.yaml", own)
    write(tmp_path, "ps.yml", replaced)
    frameworks = load_frameworks(tmp_path)
    assert set(frameworks.by_id) == {"ps-teacher-2024", "yev-2025"}
    assert frameworks.resolve(None).locate("digital_safety")[2].threshold == 70


def test_one_framework_id_in_two_files_of_a_directory_is_an_error(tmp_path):
    write(tmp_path, "a.yaml", raw())
    write(tmp_path, "b.yaml", raw())
    with pytest.raises(FrameworkFileError, match="also in"):
        load_frameworks(tmp_path)


def test_a_result_gets_its_own_framework_or_the_default():
    frameworks = load_frameworks()
    other = frameworks.by_id[DEFAULT_FRAMEWORK_ID].model_copy(update={"framework_id": "other-fw"})
    both = Frameworks(by_id=frameworks.by_id | {"other-fw": other}, default_id=DEFAULT_FRAMEWORK_ID)
    assert both.resolve(None).framework_id == DEFAULT_FRAMEWORK_ID
    assert both.resolve("other-fw") is other
    with pytest.raises(UnknownFramework, match="unknown competency framework 'nope'"):
        both.resolve("nope")


def test_the_default_must_be_a_known_framework(tmp_path):
    with pytest.raises(ValidationError, match="default framework 'nope'"):
        load_frameworks(default_id="nope")
    write(tmp_path, "yev.yaml", raw() | {"framework_id": "yev-2025"})
    chosen = frameworks_from_env({"RSNMS_COMPETENCY_FRAMEWORKS": str(tmp_path), "RSNMS_DEFAULT_FRAMEWORK": "yev-2025"})
    assert chosen.resolve(None).framework_id == "yev-2025"
    assert frameworks_from_env({}).default_id == DEFAULT_FRAMEWORK_ID
