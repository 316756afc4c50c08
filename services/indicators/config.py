"""Configuration files of the indicators service (read at start-up; any error stops it).

- targets: `targets.yaml` beside this module, or the file named by RSNMS_INDICATOR_TARGETS
  (see domain/targets.py for the format);
- passport: `passport.yaml` beside this module, or the file named by RSNMS_PASSPORT_CONFIG
  (information resources per region, see domain/resources.py);
- rounds: `rounds.yaml` beside this module, or RSNMS_ROUNDS_CONFIG (the road map's planned
  volumes, see rounds_config.py);
- RSNMS_SNAPSHOT_INTERVAL_S: seconds between periodic passport snapshots (default 300, 0 = off);
- RSNMS_TABLE_DEBOUNCE_S: least seconds between two recomputations of a region's live table
  (default 0.5).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from services.indicators.domain.resources import InformationResources
from services.indicators.domain.targets import Targets
from services.indicators.rounds_config import RoundsConfig

HERE = Path(__file__).resolve().parent
TARGETS_FILE = HERE / "targets.yaml"
PASSPORT_FILE = HERE / "passport.yaml"


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


def load_rounds(env: Mapping[str, str]) -> RoundsConfig:
    try:
        return RoundsConfig.from_env(env)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {value}")
    return value


@dataclass(frozen=True)
class IndicatorsConfig:
    targets: Targets
    resources: InformationResources
    snapshot_interval_s: float = 300.0
    table_debounce_s: float = 0.5
    rounds: RoundsConfig = RoundsConfig()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IndicatorsConfig:
        env = os.environ if env is None else env
        return cls(
            targets=load_targets(env.get("RSNMS_INDICATOR_TARGETS") or TARGETS_FILE),
            resources=load_resources(env.get("RSNMS_PASSPORT_CONFIG") or PASSPORT_FILE),
            snapshot_interval_s=_seconds(env, "RSNMS_SNAPSHOT_INTERVAL_S", 300.0),
            table_debounce_s=_seconds(env, "RSNMS_TABLE_DEBOUNCE_S", 0.5),
            rounds=load_rounds(env),
        )
