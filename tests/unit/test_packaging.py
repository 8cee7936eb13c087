"""The package declares what it imports; optional parts are extras; the lock (requirements.in) matches it."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

#: Each top-level module the shipped code imports -> the declared distribution that provides it.
PROVIDED_BY = {
    "airflow": "apache-airflow", "pendulum": "apache-airflow", "fastapi": "apache-airflow",
    "starlette": "apache-airflow", "uvicorn": "apache-airflow", "pydantic": "apache-airflow",
    "itsdangerous": "apache-airflow", "httpx": "apache-airflow", "sqlalchemy": "alembic",
    "boto3": "apache-airflow-providers-amazon", "botocore": "apache-airflow-providers-amazon",
    "great_expectations": "great-expectations", "msgspec": "msgspec", "psycopg": "psycopg",
    "pyarrow": "pyarrow", "requests": "requests", "yaml": "pyyaml", "jinja2": "jinja2", "markupsafe": "jinja2",
    "alembic": "alembic", "moto": "moto", "pgserver": "pgserver",
}
#: Optional modules and the only module allowed to import each (inside a function, with one sentence if missing).
OPTIONAL = {"moto": "finops/devenv/moto.py", "pgserver": "finops/devenv/postgres.py"}
#: Pinned in requirements.in without being the package's own dependency, and why.
LOCK_ONLY = {"apache-airflow-providers-standard": "required by Airflow core; pinned to the version tested",
             "pandas": "Great Expectations' dataframes"}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;]", requirement.strip(), maxsplit=1)[0].lower()


def _bound(requirement: str) -> str | None:
    found = re.search(r"(?:>=|==)\s*([0-9][^,; ]*)", requirement)
    return found.group(1) if found else None


def _declared() -> dict[str, str]:
    """Every distribution of dependencies and extras -> its requirement."""
    out = {_name(r): r for r in PROJECT["dependencies"]}
    for extra in PROJECT["optional-dependencies"].values():
        out.update({_name(r): r for r in extra})
    return out


def _lock_inputs(name: str) -> dict[str, str]:
    lines = (ROOT / name).read_text().splitlines()
    return {_name(line): line for line in lines if line.strip() and not line.startswith(("#", "-"))}


def _imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / "finops").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for top in {n.split(".")[0] for n in names} - set(sys.stdlib_module_names) - {"finops"}:
                found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_declared():
    declared = _declared()
    imports = _imports()
    unknown = set(imports) - set(PROVIDED_BY)
    assert not unknown, f"declare these in pyproject.toml and map them here: {unknown} ({imports})"
    assert {PROVIDED_BY[m] for m in imports} <= set(declared)


def test_optional_modules_are_extras_imported_in_one_place():
    extras = PROJECT["optional-dependencies"]
    assert [_name(r) for r in extras["local"]] == ["moto"] and [_name(r) for r in extras["embedded-postgres"]] == ["pgserver"]
    required = {_name(r) for r in PROJECT["dependencies"]}
    for module, home in OPTIONAL.items():
        assert module not in required
        assert _imports().get(module, {home}) == {home}, f"{module} is imported outside {home}"


def test_the_lock_inputs_match_the_declared_dependencies():
    declared, lock = _declared(), {**_lock_inputs("requirements.in"), **_lock_inputs("requirements-dev.in")}
    assert "apache-airflow-providers-http" not in declared and "apache-airflow-providers-http" not in lock
    for name in _lock_inputs("requirements.in"):
        assert name in declared or name in LOCK_ONLY, f"{name} is pinned in requirements.in but not declared"
    for name, requirement in declared.items():
        if name == "pgserver":  # optional binaries, never installed by make (Debian's postgresql is used)
            continue
        assert name in lock, f"{name} is declared in pyproject.toml but not locked in requirements*.in"
        pin = _bound(lock[name]) if "==" in lock[name] else None
        if pin is not None:
            assert _bound(requirement) == pin, f"{name}: pyproject.toml says {requirement}, the lock {lock[name]}"
