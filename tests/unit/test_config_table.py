"""The README's configuration table is generated from the settings models and is current; every
variable the code reads is in a model (no os.environ reads outside the settings and the tools)."""

from __future__ import annotations

import re

from rsnms_runtime.config_table import README, current, rows
from rsnms_runtime.settings import ROOT


def test_the_readme_table_is_the_generated_one():
    text = README.read_text(encoding="utf-8")
    assert current(text) == text, "regenerate with `python -m rsnms_runtime.config_table`"


def test_the_variables_the_issue_named_are_documented():
    documented = {variable for variable, *_ in rows()}
    assert {
        "KAFKA_USERNAME",
        "KAFKA_PASSWORD",
        "RSNMS_DEFAULT_FRAMEWORK",
        "RSNMS_INDICATOR_TARGETS",
        "RSNMS_PASSPORT_CONFIG",
        "RSNMS_TABLE_DEBOUNCE_S",
    } <= documented


def test_services_read_the_environment_only_through_their_settings():
    reads = re.compile(r"os\.environ|os\.getenv")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("services", "contracts")
        for path in (ROOT / folder).rglob("*.py")
        if reads.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_no_citation_of_files_outside_the_repository():
    """The domain reference is docs/domain.md; regulations are cited by the short names it defines."""
    outside = re.compile(r"DOMAIN\.md|/work/shared|seeds/\d")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("services", "contracts", "rsnms_runtime", "demo", "bench", "docs", "deploy")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".py", ".md", ".yaml", ".yml"} and outside.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [] and (ROOT / "docs" / "domain.md").is_file()
