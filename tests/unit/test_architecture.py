"""The architecture's import rules are checked by import-linter (`make lint`), and the check bites.

The contracts live in pyproject.toml ([tool.importlinter]). Here they run once against the
repository (they must hold) and once against a small fixture tree with a deliberate violation
of each rule (they must fail, naming the offending import)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is in the dev extra (make lint)")

VIOLATIONS = {
    # one service reaching into another
    "services/routes/service.py": "from services.diagnostics.domain import rules\n",
    # a domain module doing I/O through a framework and a database driver, and using an adapter
    "services/diagnostics/domain/rules.py": "import pymongo\nimport faststream\nfrom services.diagnostics.adapters import store\n",
    "services/diagnostics/adapters/store.py": "",
    # contracts depending on the runtime
    "contracts/codec.py": "import rsnms_runtime.kafka\n",
    "rsnms_runtime/kafka.py": "",
    "rsnms_runtime/mongo.py": "",
}


def _lint_imports(cwd: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_the_repository_keeps_its_import_contracts():
    result = _lint_imports(ROOT, ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_contract_fails_on_a_deliberate_violation(tmp_path):
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    for package in ("contracts", "rsnms_runtime", "services", "services/routes", "services/diagnostics"):
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
    for sub in ("domain", "adapters"):
        (tmp_path / "services/diagnostics" / sub).mkdir()
        (tmp_path / "services/diagnostics" / sub / "__init__.py").write_text("")
    for path, source in VIOLATIONS.items():
        (tmp_path / path).write_text(source)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")

    result = _lint_imports(tmp_path, tmp_path / "pyproject.toml")

    out = result.stdout
    assert result.returncode != 0, out
    assert f"Contracts: 0 kept, {len(config['contracts'])} broken." in out, out
    assert "services.routes.service -> services.diagnostics.domain.rules" in out
    for forbidden in ("pymongo", "faststream", "services.diagnostics.adapters.store"):
        assert f"services.diagnostics.domain.rules -> {forbidden}" in out
    assert "contracts.codec -> rsnms_runtime.kafka" in out
