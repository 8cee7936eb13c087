"""Issuing monthly statements: which months are settled, one statement per team and month (amended when a
restatement changed a line after issue), its HTML and CSV written atomically to ``finops_statements_dest``
(a folder or ``s3://``, through the FOCUS export's destination code), recorded and queued for delivery.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from finops import paths
from finops.showback.errors import StatementMismatch
from finops.showback.figures import by_currency, exact_text
from finops.showback.statement import Line, Statement, changes_between, csv_bytes, read_csv_totals
from finops.warehouse.db import FINOPS_DB_CONN_ID, connect

if TYPE_CHECKING:
    import psycopg

    from finops.export.destination import Destination

log = logging.getLogger(__name__)

DEST_VARIABLE = "finops_statements_dest"
#: Months a scheduled run looks back at: a restatement of these after issue produces an amended statement.
RECENT_MONTHS = 2


@dataclass(frozen=True, slots=True)
class Issued:
    """What one team and month came to: ``issued``, ``amended``, ``unchanged``, ``not_settled`` or ``no_spend``."""

    team_id: str
    month: str
    outcome: str
    version: int | None = None
    html: str | None = None
    csv: str | None = None
    changes: int = 0
    totals: dict[str, str] | None = None


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def settled_months(as_of: date, lookback_days: int, count: int = RECENT_MONTHS) -> list[date]:
    """The last ``count`` months whose last day is outside the look-back at ``as_of``, oldest first."""
    from finops.alerts.forecast import settled_before

    first_unsettled = settled_before(as_of, lookback_days)
    month = first_unsettled.replace(day=1)  # its month is not over (or its last day not settled yet)
    found = []
    while len(found) < count:
        month = (month - timedelta(days=1)).replace(day=1)
        found.append(month)
    return sorted(found)


def default_root() -> Path:
    """``$AIRFLOW_HOME/finops_exports/statements``."""
    return Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow") / "finops_exports" / "statements"


def destination(dest: str | None) -> Destination:
    """``finops_statements_dest`` (or the param) resolved by the FOCUS export's destination code, and probed."""
    from finops.export.destination import resolve

    found = resolve(dest or str(default_root()))
    found.probe()
    return found


def publish(dest: Destination, folder: str, files: list[tuple[str, bytes]]) -> list[str]:
    """Write each file under ``DEST/folder`` atomically: a hidden temporary file checked, then renamed (locally)
    or uploaded whole (object storage); returns the URIs."""
    from finops.export.destination import UPLOAD_CHUNK, _fsync, _fsync_dir, _reason, temp_name
    from finops.export.errors import DestinationUnavailable

    uris = []
    staging = dest.local / folder if dest.local is not None else Path(tempfile.mkdtemp(prefix="finops-statement-"))
    staging.mkdir(parents=True, exist_ok=True)
    try:
        for name, data in files:
            temp = staging / temp_name(name)
            temp.write_bytes(data)
            if hashlib.sha256(temp.read_bytes()).digest() != hashlib.sha256(data).digest():
                temp.unlink(missing_ok=True)
                raise StatementMismatch(f"{name} was not written intact; check the disk of {dest} and run again.")
            if dest.local is not None:
                _fsync(temp)
                os.replace(temp, staging / name)
                uris.append(str(staging / name))
                continue
            target = dest.remote / folder / name
            try:
                target.fs.put_file(str(temp), target.path, chunksize=UPLOAD_CHUNK)
            except OSError as exc:
                raise DestinationUnavailable(
                    f"Uploading {name} to {dest} failed ({_reason(exc)}); nothing was recorded, the next run tries again."
                ) from None
            uris.append(dest.uri(f"{folder}/{name}"))
        if dest.local is not None:
            _fsync_dir(staging)
    finally:
        if dest.local is None:
            import shutil

            shutil.rmtree(staging, ignore_errors=True)
    return uris


def _lines(conn: psycopg.Connection, query: str, **params: Any) -> list[Line]:
    return [Line(*row) for row in conn.execute(paths.sql(f"showback/{query}"), params)]


def teams_in(month: date, team_ids: list[str] | None = None, conn_id: str = FINOPS_DB_CONN_ID) -> list[str]:
    with connect(conn_id) as conn:
        return [r[0] for r in conn.execute(paths.sql("showback/statement_teams"), {
            "start": month, "end": month_end(month), "team_ids": team_ids})]


def issue(team_id: str, month: date, *, as_of: date, lookback_days: int, dest: Destination,
          dag_run_id: str | None = None, conn_id: str = FINOPS_DB_CONN_ID) -> Issued:
    """Issue the team's statement for ``month`` if settled and new or changed since the last version."""
    import psycopg

    from finops.alerts.budgets import budgets
    from finops.alerts.forecast import settled_before
    from finops.alerts.models import effective_budgets
    from finops.showback import delivery
    from finops.showback.render import render_html
    from finops.showback.statement import budget_vs_actual, message

    label, end = f"{month:%Y-%m}", month_end(month)
    last_day = end - timedelta(days=1)
    if last_day >= settled_before(as_of, lookback_days):
        return Issued(team_id, label, "not_settled")
    params = {"team_id": team_id, "month": label, "start": month, "end": end, "last_day": last_day}
    with connect(conn_id) as conn:  # model and token kind of every line: parse what the loader has not yet
        from finops.analytics.rollups import store_line_items

        store_line_items(conn, conn.execute(paths.sql("showback/line_items_unparsed"), params).fetchall())
    with connect(conn_id) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # lines and totals from one snapshot
        conn.execute(paths.sql("showback/month_lock"), params)
        providers, settled = conn.execute(paths.sql("showback/month_settled"), params).fetchone()
        if not providers:
            return Issued(team_id, label, "no_spend")
        if not settled:
            return Issued(team_id, label, "not_settled")
        lines = _lines(conn, "statement_lines", **params)
        totals = by_currency(conn.execute(paths.sql("showback/statement_totals"), params).fetchall())
        line_totals = by_currency((li.currency, li.amount) for li in lines)
        if line_totals != totals:
            raise StatementMismatch(f"The {label} statement lines of team {team_id} add up to {exact_text(line_totals)}, "
                                    f"not cost_data's {exact_text(totals)}; nothing was issued; run again.")
        latest = conn.execute(paths.sql("showback/statement_latest"), {"team_id": team_id, "month": month}).fetchone()
        changes = []
        if latest:
            changes = changes_between(_lines(conn, "statement_latest_lines", statement_id=latest[0]), lines)
            if not changes:
                return Issued(team_id, label, "unchanged", version=latest[1], html=latest[2], csv=latest[3])
        version = latest[1] + 1 if latest else 1
        team = conn.execute(paths.sql("registry/team_get"), {"team_id": team_id}).fetchone()
        statement = Statement(
            team_id=team_id, team_name=team[1] if team else team_id, month=month, version=version, lines=lines,
            issued_at=datetime.now(UTC), changes=changes,
            budgets=budget_vs_actual(effective_budgets(budgets(team_id, conn_id=conn_id), month), lines))
        data = csv_bytes(statement)
        if read_csv_totals(data) != totals:
            raise StatementMismatch(f"The {label} statement CSV of team {team_id} does not add up to cost_data; "
                                    "nothing was issued; run again.")
        stem = statement.file_stem()
        html = render_html(statement, f"{stem}.csv").encode()
        html_uri, csv_uri = publish(dest, statement.folder(), [(f"{stem}.csv", data), (f"{stem}.html", html)])[::-1]
        checksum = hashlib.sha256(data).hexdigest()
        from psycopg.types.json import Jsonb

        statement_id = conn.execute(paths.sql("showback/statement_insert"), {
            "team_id": team_id, "month": month, "version": version, "html_path": html_uri, "csv_path": csv_uri,
            "totals": Jsonb(exact_text(totals)), "checksum": checksum, "line_count": len(lines),
            "changes": len(changes), "dag_run_id": dag_run_id}).fetchone()[0]
        with conn.cursor() as cur:
            cur.executemany(paths.sql("showback/statement_line_insert"), [
                {"statement_id": statement_id, "provider": li.provider, "project_id": li.project_id,
                 "model": li.model, "token_kind": li.token_kind, "usage_date": li.usage_date,
                 "currency": li.currency, "amount": li.amount} for li in lines])
        link = delivery.team_link(team_id)
        subject = (f"FinOps statement {label} for {team_id}" if version == 1 else
                   f"FinOps AMENDED statement {label} v{version} for {team_id}")
        delivery.record(conn, delivery.STATEMENT, team_id, f"{label} v{version}", subject,
                        message(statement, html_uri, csv_uri, link),
                        {"month": label, "version": version, "html": html_uri, "csv": csv_uri,
                         "totals": exact_text(totals), "checksum": checksum, "changes": len(changes),
                         "amended": version > 1, "link": link})
    log.info("Team %s, %s: statement version %d issued (%d lines, %s)%s.", team_id, label, version, len(lines),
             exact_text(totals), f", {len(changes)} changed line(s)" if changes else "")
    return Issued(team_id, label, "amended" if version > 1 else "issued", version=version, html=html_uri,
                  csv=csv_uri, changes=len(changes), totals=exact_text(totals))


def statements(team_id: str | None = None, conn_id: str = FINOPS_DB_CONN_ID) -> list[dict[str, Any]]:
    """Issued statements (every version, newest first): for the team page's list and the demo."""
    from psycopg.rows import dict_row

    with connect(conn_id) as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(paths.sql("showback/statement_list"), {"team_id": team_id})
        return cur.fetchall()

