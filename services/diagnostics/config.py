"""Configuration of the diagnostics service: the competency framework files.

The service ships `frameworks/*.yaml` (the default, `ps-teacher-2024`). A region adds its
own frameworks, or replaces a shipped one by using its id, with YAML files in the directory
named by RSNMS_COMPETENCY_FRAMEWORKS (the variable the routes service reads for competency
titles). RSNMS_DEFAULT_FRAMEWORK names the framework of results that name none. Any invalid
file stops the service at start-up with the file and the reason.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from services.diagnostics.domain.framework import Framework, Frameworks

SHIPPED_DIR = Path(__file__).resolve().parent / "frameworks"
DEFAULT_FRAMEWORK_ID = "ps-teacher-2024"
ENV_DIR = "RSNMS_COMPETENCY_FRAMEWORKS"
ENV_DEFAULT = "RSNMS_DEFAULT_FRAMEWORK"


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
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
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


def frameworks_from_env(env: Mapping[str, str] | None = None) -> Frameworks:
    """load_frameworks with RSNMS_COMPETENCY_FRAMEWORKS and RSNMS_DEFAULT_FRAMEWORK."""
    env = os.environ if env is None else env
    return load_frameworks(env.get(ENV_DIR) or None, env.get(ENV_DEFAULT) or DEFAULT_FRAMEWORK_ID)
