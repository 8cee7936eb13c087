"""Load an Astro-format ``airflow_settings.yaml`` into Airflow: connections, variables, pools.

Create or update; a second run with the same file changes nothing. ``${NAME}`` and
``${NAME:-default}`` in values are replaced from the environment, so ports of local services
need not be written into the file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from finops.errors import ConfigurationError

CONNECTION_FIELDS = {
    "conn_id", "conn_type", "conn_host", "conn_schema", "conn_login", "conn_password", "conn_port",
    "conn_extra", "conn_uri", "conn_description",
}
VARIABLE_FIELDS = {"variable_name", "variable_value", "variable_description"}
POOL_FIELDS = {"pool_name", "pool_slot", "pool_description", "include_deferred"}
SECTIONS = {"connections": CONNECTION_FIELDS, "variables": VARIABLE_FIELDS, "pools": POOL_FIELDS}
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class SettingsFileError(ConfigurationError):
    """The settings file is missing, not YAML, or has an unknown or missing field."""


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"{verb}: {', '.join(names)}" for verb, names in
                (("created", self.created), ("updated", self.updated), ("unchanged", self.unchanged)) if names]


@dataclass
class Settings:
    connections: list[dict[str, Any]]
    variables: list[dict[str, Any]]
    pools: list[dict[str, Any]]


def _expand(value: Any, where: str) -> Any:
    if isinstance(value, str):
        def repl(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            raise SettingsFileError(f"{where} refers to ${{{name}}}, which is not set; export {name} or give a default as ${{{name}:-VALUE}}.")
        return _ENV_REF.sub(repl, value)
    if isinstance(value, dict):
        return {k: _expand(v, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, where) for v in value]
    return value


def parse(path: Path) -> Settings:
    """Read and check the file; every problem names the file, line and field."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SettingsFileError(f"{path} does not exist; pass the path of your airflow_settings.yaml.") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise SettingsFileError(f"{where} is not valid YAML ({problem}); fix the indentation or quoting there.") from None
    if root is None:
        return Settings([], [], [])
    data = yaml.safe_load(text)

    def line_of(node: yaml.Node) -> int:
        return node.start_mark.line + 1

    if not isinstance(root, yaml.MappingNode) or set(data) != {"airflow"}:
        raise SettingsFileError(f"{path}, line 1: the file must have one top-level key `airflow:` (Astro format).")
    airflow_node = root.value[0][1]
    if not isinstance(airflow_node, yaml.MappingNode):
        raise SettingsFileError(f"{path}, line {line_of(airflow_node)}: `airflow:` must hold connections, variables and pools.")
    result: dict[str, list[dict[str, Any]]] = {"connections": [], "variables": [], "pools": []}
    for key_node, section_node in airflow_node.value:
        section = key_node.value
        if section not in SECTIONS:
            raise SettingsFileError(
                f"{path}, line {line_of(key_node)}: unknown section `{section}`; expected one of connections, variables, pools."
            )
        if isinstance(section_node, yaml.ScalarNode) and section_node.value in ("", "null", "~"):
            continue
        if not isinstance(section_node, yaml.SequenceNode):
            raise SettingsFileError(f"{path}, line {line_of(section_node)}: `{section}` must be a list.")
        allowed = SECTIONS[section]
        for item_node in section_node.value:
            if not isinstance(item_node, yaml.MappingNode):
                raise SettingsFileError(f"{path}, line {line_of(item_node)}: each entry of `{section}` must be a mapping.")
            item: dict[str, Any] = {}
            for field_node, value_node in item_node.value:
                name = field_node.value
                if name not in allowed:
                    raise SettingsFileError(
                        f"{path}, line {line_of(field_node)}: unknown field `{name}` in {section}; "
                        f"expected one of {', '.join(sorted(allowed))}."
                    )
                item[name] = yaml.safe_load(yaml.serialize(value_node))
            id_field = {"connections": "conn_id", "variables": "variable_name", "pools": "pool_name"}[section]
            if not item.get(id_field):
                raise SettingsFileError(f"{path}, line {line_of(item_node)}: an entry of `{section}` has no `{id_field}`.")
            result[section].append(_expand(item, f"{path}, line {line_of(item_node)}"))
    return Settings(**result)


def _connection_kwargs(item: dict[str, Any]) -> dict[str, Any]:
    extra = item.get("conn_extra")
    if isinstance(extra, dict):
        extra = json.dumps(extra, sort_keys=True)
    port = item.get("conn_port")
    return {
        "conn_id": item["conn_id"],
        "conn_type": item.get("conn_type"),
        "host": item.get("conn_host"),
        "schema": item.get("conn_schema"),
        "login": item.get("conn_login"),
        "password": item.get("conn_password"),
        "port": int(port) if port not in (None, "") else None,
        "extra": extra or None,
        "description": item.get("conn_description"),
    }


def apply(settings: Settings) -> ImportReport:
    """Create or update each connection, variable and pool in Airflow's metadata database."""
    from airflow.models import Connection, Pool, Variable
    from airflow.utils.session import create_session

    report = ImportReport()
    with create_session() as session:
        for item in settings.connections:
            if item.get("conn_uri"):
                wanted = Connection(conn_id=item["conn_id"], uri=item["conn_uri"])
            else:
                wanted = Connection(**_connection_kwargs(item))
            current = session.query(Connection).filter(Connection.conn_id == wanted.conn_id).one_or_none()
            label = f"connection {wanted.conn_id}"
            fields = ("conn_type", "host", "schema", "login", "password", "port", "extra", "description")
            if current is None:
                session.add(wanted)
                report.created.append(label)
            elif any(getattr(current, f) != getattr(wanted, f) for f in fields):
                for f in fields:
                    setattr(current, f, getattr(wanted, f))
                report.updated.append(label)
            else:
                report.unchanged.append(label)
        for item in settings.variables:
            name = item["variable_name"]
            value = item.get("variable_value")
            value = "" if value is None else value if isinstance(value, str) else json.dumps(value)
            current = session.query(Variable).filter(Variable.key == name).one_or_none()
            label = f"variable {name}"
            if current is None:
                session.add(Variable(key=name, val=value, description=item.get("variable_description")))
                report.created.append(label)
            elif current.val != value:
                current.val = value
                report.updated.append(label)
            else:
                report.unchanged.append(label)
        for item in settings.pools:
            name = item["pool_name"]
            slots = int(item.get("pool_slot", 1))
            description = item.get("pool_description") or ""
            include_deferred = bool(item.get("include_deferred", False))
            current = session.query(Pool).filter(Pool.pool == name).one_or_none()
            label = f"pool {name}"
            if current is None:
                session.add(Pool(pool=name, slots=slots, description=description, include_deferred=include_deferred))
                report.created.append(label)
            elif (current.slots, current.description or "", current.include_deferred) != (slots, description, include_deferred):
                current.slots, current.description, current.include_deferred = slots, description, include_deferred
                report.updated.append(label)
            else:
                report.unchanged.append(label)
    return report


def import_settings(path: Path) -> ImportReport:
    return apply(parse(path))
