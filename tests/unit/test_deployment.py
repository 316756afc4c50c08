"""docker-compose.yml stays in step with the services (it cannot run here: no Docker engine)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registry", "diagnostics", "routes", "indicators")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_is_valid():
    if shutil.which("docker-compose"):
        cmd = ["docker-compose", "-f", "docker-compose.yml", "config", "-q"]
    elif subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        cmd = ["docker", "compose", "-f", "docker-compose.yml", "config", "-q"]
    else:
        pytest.skip("neither docker-compose nor the docker compose plugin is installed (.ci/run installs it)")
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_service_is_deployed_with_its_entrypoint_and_settings():
    compose = _compose()["services"]
    for name in SERVICES:
        assert compose[name]["command"] == ["python", "-m", f"services.{name}"]
        assert (ROOT / "services" / name / "__main__.py").exists()
    env = compose["indicators"]["environment"]
    read = (ROOT / "rsnms_runtime" / "settings.py").read_text() + (ROOT / "rsnms_runtime" / "service.py").read_text()
    for var in env:
        if var.startswith("RSNMS_SNAPSHOT") or var.startswith("OTEL_"):
            continue
        assert f'"{var}"' in read, f"{var} is set in docker-compose.yml but no setting reads it"
    assert {"kafka", "mongodb", "otel-collector", "jaeger"} <= set(compose)
