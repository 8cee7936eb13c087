"""Deployment files: the compose file validates, everything they reference exists, the image pins match.

The compose file is validated against the Compose specification JSON schema vendored in
``deploy/schemas/compose-spec.json`` (from Debian's docker-compose 1.29, Apache-2.0), which runs
offline everywhere; when a ``docker-compose`` binary is installed, ``docker-compose config`` runs too.
No Docker engine is needed or used.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
HELM_VALUES = ROOT / "deploy" / "helm" / "values.yaml"
REQUIRED_ENV = ("POSTGRES_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "AIRFLOW_ADMIN_PASSWORD", "FINOPS_DB_PASSWORD")
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_compose_matches_the_compose_specification(compose):
    import jsonschema

    schema = json.loads((ROOT / "deploy" / "schemas" / "compose-spec.json").read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose (apt-get install docker-compose) not installed")
def test_docker_compose_config_accepts_every_profile(tmp_path):
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{name}=test-value\n" for name in REQUIRED_ENV))
    out = subprocess.run(
        ["docker-compose", "--project-directory", str(ROOT), "-f", str(COMPOSE), "--env-file", str(env_file),
         "--profile", "local", "--profile", "monitoring", "--profile", "debug", "config", "-q"],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert out.returncode == 0, out.stderr


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose (apt-get install docker-compose) not installed")
def test_compose_refuses_to_start_without_secrets(tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("")
    out = subprocess.run(
        ["docker-compose", "--project-directory", str(ROOT), "-f", str(COMPOSE), "--env-file", str(empty), "config", "-q"],
        capture_output=True, text=True, check=False, timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert out.returncode != 0 and "in .env" in out.stderr


def test_compose_has_the_celery_topology(compose):
    services = compose["services"]
    for name in (*AIRFLOW_SERVICES, "airflow-init", "postgres", "redis"):
        assert name in services, name
    common = compose["x-airflow-common"]["environment"]
    assert common["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert common["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert str(common["AIRFLOW__API__EXPOSE_CONFIG"]).lower() == "false"
    for secret in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET"):
        assert ":?" in common[secret], f"{secret} must be required, never defaulted"
    for name in (*AIRFLOW_SERVICES, "postgres", "redis"):
        assert "healthcheck" in services[name], f"{name} has no health check"
    for name in AIRFLOW_SERVICES:
        deps = services[name]["depends_on"]
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
        assert deps["postgres"]["condition"] == deps["redis"]["condition"] == "service_healthy", name
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"
    assert {n for n, s in services.items() if "local" in s.get("profiles", [])} == {"kms", "kms-init", "simulator"}
    for name, service in services.items():
        if "profiles" not in service:
            assert "endpoint_url" not in json.dumps(service), f"{name}: the default stack uses the real AWS KMS"


def test_init_service_migrates_and_imports_settings(compose):
    script = "\n".join(compose["services"]["airflow-init"]["command"])
    for step in ("airflow db migrate", "finops db upgrade", "finops settings import /opt/airflow/deploy/airflow_settings.compose.yaml"):
        assert step in script, step


def test_every_file_the_compose_file_references_exists(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: volume source {source} is missing"
        for env_file in ([service["env_file"]] if isinstance(service.get("env_file"), str) else service.get("env_file", [])):
            assert (ROOT / env_file).exists(), f"{name}: env_file {env_file} is missing"
        build = service.get("build") or {}
        if build:
            assert (ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).exists()
            stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", DOCKERFILE.read_text(), flags=re.M | re.I)
            assert build.get("target", stages[-1]) in stages, f"{name}: build target {build.get('target')} not in the Dockerfile"
    init_scripts = list((ROOT / "deploy" / "postgres-init").glob("*.sh"))
    assert init_scripts and all(p.stat().st_mode & 0o111 for p in init_scripts), "postgres init scripts must be executable"
    for path in re.findall(r"/opt/airflow/(deploy/[\w./-]+\.yaml)", COMPOSE.read_text()):
        assert (ROOT / path).exists(), path


def test_postgres_init_creates_the_finops_database():
    text = (ROOT / "deploy" / "postgres-init" / "10-finops-database.sh").read_text()
    assert "CREATE DATABASE finops" in text and "FINOPS_DB_PASSWORD" in text


def test_every_dockerfile_copy_source_exists_and_passes_dockerignore():
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for keyword, rest in _dockerfile_instructions():
        if keyword != "COPY":
            continue
        parts = [p for p in rest.split() if not p.startswith("--")]
        for source in parts[:-1]:
            assert (ROOT / source).exists(), f"COPY source {source} is missing"
            assert any(source == a or source.startswith(a + "/") for a in allowed), f"{source} is excluded by .dockerignore"


def test_image_installs_exactly_the_pinned_requirements_and_the_package():
    instructions = _dockerfile_instructions()
    froms = [rest for kw, rest in instructions if kw == "FROM"]
    assert any("apache/airflow:3.3.2-python3.11" in line for line in (DOCKERFILE.read_text().splitlines())), froms
    runs = [rest for kw, rest in instructions if kw == "RUN"]
    assert any(re.search(r"uv pip install --no-cache --compile-bytecode -r \S*requirements\.txt$", r) for r in runs), runs
    # The image sets PYTHONDONTWRITEBYTECODE=1: what is not compiled at build time is compiled by every process.
    installs = [r for r in runs if "pip install" in r]
    assert installs and all("--compile-bytecode" in r for r in installs), installs
    assert any("--no-deps" in r and "/tmp/finops/src" in r for r in runs), "the package must install without dependencies"
    assert not any("pip install" in r and "-r" not in r and "--no-deps" not in r and "moto" not in r for r in runs)
    users = [rest for kw, rest in instructions if kw == "USER"]
    assert users and users[-1] == "airflow"
    assert "FINOPS_PROJECT_DIR=/opt/airflow" in DOCKERFILE.read_text()
    pins = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if re.match(r"^[A-Za-z0-9]", line)]
    assert "apache-airflow==3.3.2" in pins and all("==" in p for p in pins), "requirements.txt must be a full pin list"


def test_dockerfile_copies_the_project_folders():
    text = DOCKERFILE.read_text()
    for folder in ("dags", "plugins", "include", "airflow_settings.yaml", "finops", "pyproject.toml"):
        assert re.search(rf"^COPY .*\b{re.escape(folder)}\b", text, flags=re.M), folder


def test_settings_files_parse(monkeypatch):
    from finops.settings_import import parse

    monkeypatch.setenv("FINOPS_DB_PASSWORD", "x")
    compose_settings = parse(ROOT / "deploy" / "airflow_settings.compose.yaml")
    assert {c["conn_id"] for c in compose_settings.connections} == {"finops_db", "aws_kms", "openai_api",
                                                                    "anthropic_api"}
    assert [p["pool_name"] for p in compose_settings.pools] == ["openai_api", "anthropic_api"]
    assert {c["conn_id"] for c in parse(ROOT / "deploy" / "airflow_settings.local.yaml").connections} == {
        "aws_kms", "openai_api", "anthropic_api"}
    assert [p["pool_name"] for p in parse(ROOT / "deploy" / "airflow_settings.k8s.yaml").pools] == [
        "openai_api", "anthropic_api"]
    local = parse(ROOT / "airflow_settings.yaml")
    assert {c["conn_id"] for c in local.connections} >= {"openai_api", "anthropic_api"}
    assert [p["pool_name"] for p in local.pools] == ["openai_api", "anthropic_api"]


def test_every_provider_has_its_connection_and_pool_in_every_settings_file(monkeypatch):
    from finops.providers import PROVIDERS
    from finops.settings_import import parse

    monkeypatch.setenv("FINOPS_DB_PASSWORD", "x")
    for spec in PROVIDERS.values():
        for name in ("airflow_settings.yaml", "deploy/airflow_settings.compose.yaml"):
            settings = parse(ROOT / name)
            assert spec.conn_id in {c["conn_id"] for c in settings.connections}, (name, spec.conn_id)
            assert spec.pool in {p["pool_name"] for p in settings.pools}, (name, spec.pool)
        secret_keys = {s["secretKey"] for s in yaml.safe_load(HELM_VALUES.read_text())["secret"]}
        assert spec.conn_id in secret_keys


def test_helm_values_parse_and_carry_the_project_settings():
    values = yaml.safe_load(HELM_VALUES.read_text())
    assert values["executor"] in ("CeleryExecutor", "KubernetesExecutor")
    assert values["images"]["airflow"]["repository"] and values["images"]["airflow"]["tag"]
    conns = {s["envName"] for s in values["secret"]}
    assert conns == {"AIRFLOW_CONN_FINOPS_DB", "AIRFLOW_CONN_AWS_KMS", "AIRFLOW_CONN_OPENAI_API",
                     "AIRFLOW_CONN_ANTHROPIC_API"}
    env = {e["name"]: e["value"] for e in values["env"]}
    assert env["FINOPS_PROJECT_DIR"] == "/opt/airflow"
    assert {"AIRFLOW_VAR_FINOPS_KMS_KEY_ID", "AIRFLOW_VAR_FINOPS_SUCCESS_RATE_THRESHOLD", "AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS"} <= set(env)
    job = " ".join(values["migrateDatabaseJob"]["args"])
    assert "finops db upgrade" in job and "deploy/airflow_settings.k8s.yaml" in job
    assert values["statsd"]["enabled"] is True
    mapped = {m["match"] for m in values["statsd"]["extraMappings"]}
    mapping_file = yaml.safe_load((ROOT / "deploy" / "monitoring" / "statsd-mapping.yaml").read_text())
    assert {m["match"] for m in mapping_file["mappings"] if ".finops." in m["match"]} == mapped
    assert str(values["config"]["api"]["expose_config"]).lower() == "false"


def test_alert_rules_use_mapped_metric_names():
    rules = [r for g in yaml.safe_load((ROOT / "deploy" / "monitoring" / "alerts.yaml").read_text())["groups"] for r in g["rules"]]
    names = {m["name"] for m in yaml.safe_load((ROOT / "deploy" / "monitoring" / "statsd-mapping.yaml").read_text())["mappings"]}
    for rule in rules:
        used = set(re.findall(r"\b((?:finops|airflow)_[a-z_]+?)(?:_count|_sum)?\b(?=[\[{\s)<>]|$)", rule["expr"]))
        assert used, rule["alert"]
        assert used <= names, f"{rule['alert']} uses unmapped metrics {used - names}"
    assert {r["alert"] for r in rules} >= {"FinopsCollectionSuccessRateLow", "FinopsTeamFailingThreeDaysInARow",
                                           "FinopsDataQualityFailed", "FinopsDailyRunNotSucceeded"}
