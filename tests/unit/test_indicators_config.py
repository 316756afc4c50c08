"""Targets and passport configuration: the shipped files give the seed 002 defaults and the
federal resources; regions and years override in order; mistakes stop the service."""

from __future__ import annotations

import pytest

from services.indicators.config import ConfigError, IndicatorsConfig, load_resources, load_targets
from services.indicators.domain.resources import FEDERAL
from services.indicators.domain.targets import SEED_002_2024, Targets, met


def test_shipped_targets_are_seed_002_for_the_jao_in_2024_and_nothing_is_assumed_elsewhere():
    targets = load_targets()
    assert targets.for_region("RU-YEV", 2024) == dict(SEED_002_2024)
    assert targets.for_region("RU-YEV", 2024)["I4R"] == 0.40 and "I4" not in targets.for_region("RU-YEV", 2024)
    assert targets.for_region("RU-YEV", 2025) == {} and targets.for_region("RU-KYA", 2024) == {}
    assert targets.i1_providers("RU-YEV") == {"cnppm"}


def test_i1_providers_per_region_and_years_from_2021():
    targets = Targets.from_doc({"i1_providers": {"default": ["cnppm"], "regions": {"RU-KYA": ["cnppm", "copmkp"]}}})
    assert targets.i1_providers("RU-KYA") == {"cnppm", "copmkp"} and targets.i1_providers("RU-YEV") == {"cnppm"}
    for doc in ({"years": {2020: {"I1": 0.1}}}, {"i1_providers": {"default": ["school"]}}):
        with pytest.raises(ValueError):
            Targets.from_doc(doc)


def test_region_and_year_overrides_in_order():
    targets = Targets.from_doc(
        {
            "default": {"I1": 0.2, "I3": 0.3},
            "years": {2025: {"I1": 0.25}},
            "regions": {"RU-KYA": {"I3": 0.35, "years": {2025: {"I3": 0.4, "I1": 0.3}}}},
        }
    )
    assert targets.for_region("RU-YEV", 2024) == {"I1": 0.2, "I3": 0.3}
    assert targets.for_region("RU-YEV", 2025) == {"I1": 0.25, "I3": 0.3}
    assert targets.for_region("RU-KYA", 2024) == {"I1": 0.2, "I3": 0.35}
    assert targets.for_region("RU-KYA", 2025) == {"I1": 0.3, "I3": 0.4}


@pytest.mark.parametrize(
    "doc",
    [
        {"default": {"I9": 0.5}},
        {"default": {"I1": "lots"}},
        {"default": {"I1": -1}},
        {"regions": {"RU-X": {"X": 1}}},
        {"targets": {}},
    ],
)
def test_mistakes_in_targets_are_errors(doc):
    with pytest.raises(ValueError):
        Targets.from_doc(doc)


def test_target_met_rule():
    assert met("I1", 0.2, 0.2) is True and met("I1", 0.19, 0.2) is False
    assert met("E1", 260.0, 250) is False and met("E1", 250.0, 250) is True
    assert met("E1", 100.0, 250, max_load=251) is False  # the region's maximum load decides
    assert met("I1", None, 0.2) is None and met("I1", 0.5, None) is None


def test_config_files_and_environment(tmp_path):
    (tmp_path / "t.yaml").write_text("default: {I1: 0.5}\nregions: {RU-AAA: {I1: 0.6}}\n", encoding="utf-8")
    (tmp_path / "p.yaml").write_text(
        "information_resources:\n  default: [A]\n  regions: {RU-AAA: [B, A]}\n", encoding="utf-8"
    )
    config = IndicatorsConfig.from_env(
        {
            "RSNMS_INDICATOR_TARGETS": str(tmp_path / "t.yaml"),
            "RSNMS_PASSPORT_CONFIG": str(tmp_path / "p.yaml"),
            "RSNMS_SNAPSHOT_INTERVAL_S": "0",
            "RSNMS_TABLE_DEBOUNCE_S": "0.25",
        }
    )
    assert config.targets.for_region("RU-AAA") == {"I1": 0.6}
    assert config.resources.for_region("RU-AAA") == ("A", "B") and config.resources.for_region("RU-BBB") == ("A",)
    assert (config.snapshot_interval_s, config.table_debounce_s) == (0.0, 0.25)
    defaults = IndicatorsConfig.from_env({})
    assert (defaults.snapshot_interval_s, defaults.table_debounce_s) == (300.0, 0.5)
    assert defaults.resources.for_region("RU-YEV") == FEDERAL == load_resources().default


@pytest.mark.parametrize(
    "env",
    [
        {"RSNMS_SNAPSHOT_INTERVAL_S": "soon"},
        {"RSNMS_TABLE_DEBOUNCE_S": "-1"},
        {"RSNMS_INDICATOR_TARGETS": "/nonexistent/targets.yaml"},
    ],
)
def test_bad_configuration_stops_the_service(env):
    with pytest.raises(ConfigError):
        IndicatorsConfig.from_env(env)


def test_bad_file_names_the_file(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("default: {I1: [1]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="t.yaml"):
        load_targets(bad)
    bad.write_text("information_resources: {default: [1, 2]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="t.yaml"):
        load_resources(bad)
