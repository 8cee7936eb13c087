"""The expectation suite of a window: ``include/expectations/cost_data_window.json`` plus its SQL files.

The JSON file is the source of truth for which expectations run. Values that depend on the run are
filled in two ways: ``{"$PARAMETER": name}`` kwargs become GX suite parameters, and an
``unexpected_rows_expectation`` names its query in ``meta.sql`` (``include/sql/quality/NAME.sql``),
whose ``{placeholders}`` are replaced by SQL literals here, leaving ``{batch}`` to GX.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from finops import paths
from finops.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

SUITE_NAME = "cost_data_window"
DEFAULT_CURRENCIES = ("usd",)
_COMMENT_LINE = re.compile(r"^\s*--.*$\n?", re.MULTILINE)


@dataclass(frozen=True)
class WindowScope:
    """What one validation covers: the window, the teams, the settled part and the accepted currencies."""

    window_start: date
    window_end: date
    team_ids: tuple[str, ...] | None
    settled_before: date
    currencies: tuple[str, ...] = DEFAULT_CURRENCIES
    #: Each provider's window and completeness are validated apart (its own rows and collection runs).
    provider: str = "openai"

    def sql_values(self) -> dict[str, str]:
        """SQL literals for the named placeholders of ``include/sql/quality/*.sql``."""
        return {
            "window_start": sql_literal(self.window_start),
            "window_end": sql_literal(self.window_end),
            "settled_before": sql_literal(self.settled_before),
            "team_ids": sql_literal(self.team_ids),
            "provider": sql_literal(self.provider),
        }

    def suite_parameters(self) -> dict[str, Any]:
        """Values for the suite's ``$PARAMETER`` kwargs."""
        return {
            "window_first_day": self.window_start.isoformat(),
            "window_last_day": (self.window_end - timedelta(days=1)).isoformat(),
            "accepted_currencies": list(self.currencies),
        }

    def not_yet_settled(self) -> list[date]:
        """Days of the window from ``settled_before`` on."""
        first = max(self.window_start, self.settled_before)
        return [first + timedelta(days=i) for i in range((self.window_end - first).days)]


def suite_path() -> Path:
    return paths.include_dir() / "expectations" / f"{SUITE_NAME}.json"


def sql_literal(value: date | str | Iterable[str] | None) -> str:
    """A PostgreSQL literal for a date, a text, or a text array (None is a NULL text array), quoted by psycopg."""
    from psycopg import sql

    if value is None:
        return "NULL::text[]"
    if isinstance(value, (date, str)):
        return sql.Literal(value).as_string()
    return sql.SQL("{}::text[]").format(sql.Literal([str(v) for v in value])).as_string()


def render_sql(name: str, scope: WindowScope, *, keep_batch: bool) -> str:
    """``include/sql/NAME.sql`` with placeholders filled; ``{batch}`` kept for GX when ``keep_batch``."""
    text = _COMMENT_LINE.sub("", paths.sql(name)).strip().rstrip(";")
    values = scope.sql_values()
    if keep_batch:  # the result goes through str.format once more inside GX
        values = {k: v.replace("{", "{{").replace("}", "}}") for k, v in values.items()}
        values["batch"] = "{batch}"
    try:
        return text.format_map(values)
    except KeyError as exc:
        raise ConfigurationError(
            f"include/sql/{name}.sql uses the unknown placeholder {exc}; use only {sorted(values)}."
        ) from None


def load_suite_config(path: Path | None = None) -> dict[str, Any]:
    """The suite JSON as a dict (no GX needed)."""
    path = path or suite_path()
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"The expectation suite {path} cannot be read ({exc}); restore it from git."
        ) from None


def expectation_configs(
    scope: WindowScope, path: Path | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Suite-level config and its expectations with each ``meta.sql`` query rendered for the scope."""
    config = load_suite_config(path)
    expectations = []
    for raw in config.get("expectations", []):
        exp = json.loads(json.dumps(raw))
        sql_name = exp.get("meta", {}).get("sql")
        if sql_name:
            exp["kwargs"]["unexpected_rows_query"] = render_sql(sql_name, scope, keep_batch=True)
        expectations.append(exp)
    return config, expectations


def build_suite(scope: WindowScope, path: Path | None = None):
    """A ``gx.ExpectationSuite`` for the scope; every configured expectation must survive GX's checks."""
    import contextlib
    import io

    import great_expectations as gx

    config, expectations = expectation_configs(scope, path)
    # GX prints a warning for queries without {batch}; completeness reads the registry on purpose.
    with contextlib.redirect_stdout(io.StringIO()):
        suite = gx.ExpectationSuite(name=config["name"], expectations=expectations, meta=config.get("meta"))
    if len(suite.expectations) != len(expectations):
        kept = {e.meta.get("name") for e in suite.expectations}
        dropped = [
            e.get("meta", {}).get("name", e.get("type"))
            for e in expectations
            if e.get("meta", {}).get("name") not in kept
        ]
        raise ConfigurationError(
            f"The expectation suite {path or suite_path()} holds invalid expectations {dropped}; fix their kwargs."
        )
    return suite


def batch_query(scope: WindowScope, path: Path | None = None) -> str:
    """The window's SELECT over cost_data that every expectation validates."""
    config = load_suite_config(path)
    return render_sql(
        config.get("meta", {}).get("batch_query", "quality/cost_data_window"), scope, keep_batch=False
    )


def team_scope(team_ids: Sequence[str] | None) -> tuple[str, ...] | None:
    """Requested teams as a tuple; None or empty means every active team."""
    return tuple(team_ids) if team_ids else None
