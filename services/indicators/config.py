"""Configuration of the indicators service, loaded from its settings (services/indicators/settings.py)
at start-up; any error stops it.

- targets: `targets.yaml` beside this module, or the file named by RSNMS_INDICATOR_TARGETS
  (see domain/targets.py for the format);
- passport: `passport.yaml` beside this module, or the file named by RSNMS_PASSPORT_CONFIG
  (information resources per region, see domain/resources.py);
- rounds: `rounds.yaml` beside this module, or RSNMS_ROUNDS_CONFIG (the road map's planned
  volumes, see rounds_config.py), and how often late events are checked;
- the snapshot interval and the live table's debounce.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from services.indicators.domain.resources import InformationResources
from services.indicators.domain.targets import Targets
from services.indicators.rounds_config import RoundsConfig
from services.indicators.settings import IndicatorsSettings

TARGETS_FILE = IndicatorsSettings.model_fields["indicator_targets"].default
PASSPORT_FILE = IndicatorsSettings.model_fields["passport_config"].default


class ConfigError(ValueError):
    """A configuration file or variable that cannot be used."""


def _yaml(path: Path) -> Mapping[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    if doc is not None and not isinstance(doc, Mapping):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return doc or {}


def load_targets(path: Path | str = TARGETS_FILE) -> Targets:
    try:
        return Targets.from_doc(_yaml(Path(path)))
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def load_resources(path: Path | str = PASSPORT_FILE) -> InformationResources:
    try:
        return InformationResources.from_doc(_yaml(Path(path)))
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def load_rounds(path: Path | str) -> RoundsConfig:
    try:
        return RoundsConfig.from_path(Path(path))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


@dataclass(frozen=True)
class IndicatorsConfig:
    targets: Targets
    resources: InformationResources
    snapshot_interval_s: float = 300.0
    table_debounce_s: float = 0.5
    rounds: RoundsConfig = RoundsConfig()
    round_revise_s: float = 1.0

    @classmethod
    def from_settings(cls, settings: IndicatorsSettings) -> IndicatorsConfig:
        return cls(
            targets=load_targets(settings.indicator_targets),
            resources=load_resources(settings.passport_config),
            snapshot_interval_s=settings.snapshot_interval_s,
            table_debounce_s=settings.table_debounce_s,
            rounds=load_rounds(settings.rounds_config),
            round_revise_s=settings.round_revise_s,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IndicatorsConfig:
        """From the process environment, or only from `env`."""
        try:
            settings = IndicatorsSettings() if env is None else IndicatorsSettings.from_env(env)
        except ValidationError as exc:
            raise ConfigError(str(exc)) from None
        return cls.from_settings(settings)
