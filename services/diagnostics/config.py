"""Configuration of the diagnostics service: the competency framework files.

The platform ships `contracts/competencies/*.yaml` (the default, `ps-teacher-2024`; shared
vocabulary, contracts/competency.py). A region adds its own frameworks, or replaces a shipped one
by using its id, with YAML files in the directory named by RSNMS_COMPETENCY_FRAMEWORKS (the routes
service reads the same directory from its own settings, for competency titles). RSNMS_DEFAULT_FRAMEWORK names the framework of results that name none. Any invalid
file stops the service at start-up with the file and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from contracts.competency import SHIPPED_FRAMEWORKS, framework_files
from services.diagnostics.domain.framework import Framework, Frameworks
from services.diagnostics.settings import DiagnosticsSettings

SHIPPED_DIR = SHIPPED_FRAMEWORKS
DEFAULT_FRAMEWORK_ID: str = DiagnosticsSettings.model_fields["default_framework"].default


class FrameworkFileError(ValueError):
    """A framework file that cannot be read or does not validate."""


def load_framework(path: Path) -> Framework:
    """One YAML file -> a validated Framework."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Framework.model_validate(doc)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise FrameworkFileError(f"{path}: {exc}") from exc


def load_directory(directory: Path) -> dict[str, Framework]:
    """Every *.yaml / *.yml of a directory; two files with one framework id are an error."""
    found: dict[str, Framework] = {}
    origin: dict[str, Path] = {}
    for path in framework_files(directory):
        framework = load_framework(path)
        fid = framework.framework_id
        if fid in found:
            raise FrameworkFileError(f"{path}: framework {fid!r} is also in {origin[fid]}")
        found[fid], origin[fid] = framework, path
    return found


def load_frameworks(extra_dir: Path | str | None = None, default_id: str = DEFAULT_FRAMEWORK_ID) -> Frameworks:
    """The shipped frameworks, then those of `extra_dir` (replacing shipped ones of the same id)."""
    by_id = load_directory(SHIPPED_DIR)
    if extra_dir:
        extra = Path(extra_dir).resolve()
        if not extra.is_dir():
            raise FrameworkFileError(f"{extra}: no such directory of competency frameworks")
        if extra != SHIPPED_DIR:
            by_id |= load_directory(extra)
    return Frameworks(by_id=by_id, default_id=default_id)


def frameworks_from_settings(settings: DiagnosticsSettings) -> Frameworks:
    """load_frameworks with RSNMS_COMPETENCY_FRAMEWORKS and RSNMS_DEFAULT_FRAMEWORK."""
    return load_frameworks(settings.competency_frameworks, settings.default_framework)


def frameworks_from_env(env: Mapping[str, str] | None = None) -> Frameworks:
    """From the process environment, or only from `env`."""
    return frameworks_from_settings(DiagnosticsSettings() if env is None else DiagnosticsSettings.from_env(env))
