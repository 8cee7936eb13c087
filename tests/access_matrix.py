"""Who may call which FinOps route: the expected answer for each kind of user, and the warehouse they are asked on.

Shared by the route-by-route access tests through a real api-server under both auth managers
(tests/e2e/test_scoped_access.py) and through Airflow's app in-process (tests/integration/test_web_scoped_access.py).
The routes come from the app itself, so a route added later is in the matrix without editing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

OWN, OTHER = "growth", "zephyr"
#: The kinds of user, as the issue names them.
KINDS = ("admin", "all_teams_reader", "member", "manager", "outsider")
#: Routes a team's manager may post to (budgets and channels); every other change is an admin's.
MANAGER_POSTS = ("/teams/{team_id}/budgets", "/teams/{team_id}/budgets/remove", "/teams/{team_id}/channels")
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')


@dataclass(frozen=True)
class Call:
    """One request of the matrix: method, path under /finops, the team it concerns (None: no team)."""

    method: str
    path: str
    team: str | None
    template: str

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def calls(statement_files: dict[str, tuple[str, str, str]]) -> list[Call]:
    """Every route of the app for both teams (the statement route once per file kind), plus the query-string
    team filters (``?team=``, ``?team_id=``) that reach another team without a path parameter."""
    from fastapi.routing import APIRoute

    from finops.web.app import create_app

    found: list[Call] = []
    for route in create_app().routes:
        if not isinstance(route, APIRoute):
            continue
        for method in sorted(route.methods):
            if "{team_id}" not in route.path:
                found.append(Call(method, route.path, None, route.path))
                continue
            for team in (OWN, OTHER):
                path = route.path.replace("{team_id}", team).replace("{key_provider}", "openai").replace(
                    "{api_key_id}", "key_matrix")
                if "{file_name}" in path:
                    month, html, csv = statement_files[team]
                    for name in (html, csv):
                        found.append(Call(method, path.replace("{month}", month).replace("{file_name}", name), team,
                                          route.path))
                else:
                    found.append(Call(method, path, team, route.path))
    for team in (OWN, OTHER):
        found.append(Call("GET", f"/overview/export.csv?team={team}", team, "/overview/export.csv?team="))
        found.append(Call("GET", f"/api/projects?team_id={team}", team, "/api/projects?team_id="))
    return found


def expected(kind: str, call: Call) -> int:
    """The status the route must answer ``kind`` (a POST that is allowed redirects: 303)."""
    sees = kind in ("admin", "all_teams_reader") or (kind in ("member", "manager") and call.team == OWN)
    if call.team is not None and not sees:
        return 404  # another team's page, download, JSON or form: as if it did not exist
    if call.method == "GET":
        return 200
    if kind == "admin" or (kind == "manager" and call.template in MANAGER_POSTS):
        return 303
    return 403


def form_data(call: Call) -> dict[str, str]:
    """Harmless form fields: an allowed post of the matrix changes nothing it would need to undo."""
    if call.template == "/teams/{team_id}/channels":
        return {"email": "", "slack_conn": "", "webhook_conn": ""}
    return {"team_id": "matrix", "confirm": "", "amount": "", "username": "nobody-here"}


# -- the warehouse the matrix is asked on -------------------------------------------------------------------

def statement_month(today: date) -> date:
    """The month before ``today``'s: settled for a statement issued as of well after its end."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def amount(team: str, day: date, project: str) -> Decimal:
    return Decimal(len(team) * 13 + day.day * 7 + len(project)) * Decimal("0.0130804383403075")


def seed(db, today: date, dest: Path) -> dict[str, tuple[str, str, str]]:
    """Teams ``growth`` and ``zephyr`` with costs from the start of last month through ``today`` (loaded and rolled up
    as the DAG does), members ``lead`` (reader) and ``mgr`` (manager) of growth, and each team's statement of last
    month issued into ``dest``; returns per team (month, HTML name, CSV name)."""
    from finops.analytics.rollups import refresh_rollups
    from finops.costs.models import CostRow
    from finops.showback import statements
    from finops.showback.members import MANAGER, READER, add_member
    from finops.warehouse.db import connect
    from finops.warehouse.loader import Window, replace_window

    db.execute("TRUNCATE finops.line_items, finops.spend_project_daily, finops.spend_project_monthly, "
               "finops.spend_model_daily")
    db.execute("TRUNCATE finops.team_statements, finops.team_deliveries, finops.team_members, finops.team_channels "
               "CASCADE")
    month = statement_month(today)
    window = Window(month, today + timedelta(days=1))
    for team, name in ((OWN, "Growth team"), (OTHER, "Zephyr team")):
        db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 'test')", (team, name))
        rows = [CostRow(window.start + timedelta(days=d), project, "gpt-4o-2024-08-06, input", "usd",
                        amount(team, window.start + timedelta(days=d), project), Decimal(1), "tokens", "org")
                for d in range((window.end - window.start).days)
                for project in (f"proj_{team}Web000000000000000000", "unassigned")]
        replace_window(team, window, iter(rows), dag_run_id="scheduled__seed", started_at=datetime.now(UTC))
        with connect() as conn:
            refresh_rollups(conn, "openai", team, window.start, window.end)
    add_member(OWN, "lead", "test", role=READER)
    add_member(OWN, "mgr", "test", role=MANAGER)
    files = {}
    as_of = statements.month_end(month) + timedelta(days=10)
    for team in (OWN, OTHER):
        issued = statements.issue(team, month, as_of=as_of, lookback_days=2, dest=statements.destination(str(dest)))
        assert issued.outcome == "issued", issued
        files[team] = (f"{month:%Y-%m}", Path(issued.html).name, Path(issued.csv).name)
    return files


def token_in(page: str) -> str:
    """The page's CSRF token ('' when the page has no form for this user)."""
    found = CSRF.search(page)
    return found.group(1) if found else ""
