"""docker-compose.yml is well formed and stays in step with the services.

No Docker engine is needed: the file is parsed and checked the way `docker compose config` would.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registry", "diagnostics", "routes", "indicators")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


TOP_LEVEL = {"services", "volumes", "networks", "configs", "secrets", "name"}
SERVICE_KEYS = {
    "image", "build", "command", "entrypoint", "environment", "ports", "volumes", "depends_on",
    "healthcheck", "restart", "deploy", "networks",
}  # fmt: skip
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


def _named_volume(spec: str) -> str | None:
    source = spec.split(":", 1)[0]
    return None if source.startswith((".", "/", "~")) else source


def test_compose_file_is_well_formed():
    """What `docker compose config` would reject, checked from the parsed file (no Docker engine needed)."""
    compose = _compose()
    assert {k for k in compose if not k.startswith("x-")} <= TOP_LEVEL
    services, volumes = compose["services"], compose.get("volumes") or {}
    for name, svc in services.items():
        assert set(svc) <= SERVICE_KEYS, f"{name}: unknown keys {set(svc) - SERVICE_KEYS}"
        assert "image" in svc or "build" in svc, f"{name}: neither image nor build"
        if "image" in svc:
            image, _, tag = svc["image"].rpartition(":")
            assert image and tag and tag != "latest", f"{name}: image {svc['image']} is not pinned"
        if "build" in svc:
            context = ROOT / svc["build"]["context"]
            assert (context / svc["build"]["dockerfile"]).is_file(), f"{name}: no Dockerfile"
        for key in ("command", "entrypoint"):
            if key in svc:
                assert isinstance(svc[key], str) or all(isinstance(a, str) for a in svc[key]), f"{name}: {key}"
        for var, value in (svc.get("environment") or {}).items():
            assert isinstance(var, str) and var == var.strip() and var, f"{name}: variable {var!r}"
            assert value is None or isinstance(value, str | int | float | bool), f"{name}: {var} is not a scalar"
        depends = svc.get("depends_on") or {}
        for other in depends:
            assert other in services and other != name, f"{name} depends on unknown {other}"
            if isinstance(depends, dict):
                condition = depends[other]["condition"]
                assert condition in CONDITIONS, f"{name}: condition {condition}"
                if condition == "service_healthy":
                    assert "healthcheck" in services[other], f"{name} waits for {other}, which has no healthcheck"
        for spec in svc.get("volumes") or []:
            source = _named_volume(spec)
            if source is None:
                assert (ROOT / spec.split(":", 1)[0]).exists(), f"{name}: bind mount {spec} is missing"
            else:
                assert source in volumes, f"{name}: volume {source} is not declared"
        for port in svc.get("ports") or []:
            assert all(part.isdigit() for part in str(port).split(":")), f"{name}: port {port}"
        if "healthcheck" in svc:
            test = svc["healthcheck"]["test"]
            assert isinstance(test, str) or test[0] in {"CMD", "CMD-SHELL", "NONE"}, f"{name}: healthcheck {test}"


def test_every_service_is_deployed_with_its_entrypoint_and_settings():
    compose = _compose()["services"]
    for name in SERVICES:
        assert compose[name]["command"] == ["python", "-m", f"services.{name}"]
        assert (ROOT / "services" / name / "__main__.py").exists()
    env = compose["indicators"]["environment"]
    read = (ROOT / "rsnms_runtime" / "settings.py").read_text() + (ROOT / "rsnms_runtime" / "service.py").read_text()
    for var in env:
        if var.startswith(("RSNMS_SNAPSHOT", "OTEL_")):
            continue
        assert f'"{var}"' in read, f"{var} is set in docker-compose.yml but no setting reads it"
    assert {"kafka", "mongodb", "otel-collector", "jaeger"} <= set(compose)
