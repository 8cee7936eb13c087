"""The usage panels of the overview and the team page, through Airflow's own app, against costs and usage collected
from the simulator over HTTP: tokens per model equal SQL over usage_data, cost per 1M tokens equals SQL cost / tokens,
the change's parts add up exactly, costs without usage are shown apart, and the CSV carries the usage columns."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from simulator_fixtures import A_HEALTHY, USAGE, USAGE_MISSING_DAY

from finops import collection
from finops.registry import Registry
from finops.warehouse.loader import Window

pytestmark = pytest.mark.usefixtures("viewer_reads_every_team")

os.environ.setdefault("AIRFLOW__CORE__AUTH_MANAGER",
                      "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager")
os.environ.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin,viewer:viewer")

TODAY = date(2026, 3, 10)
ACTOR = "cli:test"
WINDOW = Window(date(2026, 2, 1), date(2026, 4, 1))
MARCH, FEBRUARY = (date(2026, 3, 1), date(2026, 3, 11)), (date(2026, 2, 1), date(2026, 2, 11))
MILLION = Decimal(1_000_000)
TOKEN_KINDS = ["input", "cached input", "output", "cache write 5m", "cache write 1h", "cache write"]


@pytest.fixture(scope="module")
def loaded(warehouse, kms_endpoint, simulator):
    """Team ``app`` (OpenAI, a missing usage day on March 2) and ``claude`` (Anthropic), collected Feb..March."""
    import psycopg

    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("TRUNCATE finops.cost_data, finops.usage_data, finops.collection_runs, finops.admin_keys, "
                     "finops.projects, finops.teams, finops.budgets, finops.spend_project_daily, "
                     "finops.spend_project_monthly, finops.spend_model_daily RESTART IDENTITY CASCADE")
    registry = Registry()
    registry.add_team("app", ACTOR, name="App team")
    registry.register_key("app", simulator.key(USAGE), ACTOR, verify=False)
    for pid in simulator.project_ids(USAGE):
        registry.add_project("app", pid, ACTOR, verify=False)
    registry.add_team("claude", ACTOR)
    registry.register_key("claude", simulator.key(A_HEALTHY), ACTOR, verify=False, provider="anthropic")
    for scope in ("wrkspc_healthyChat", "default"):
        registry.add_project("claude", scope, ACTOR, verify=False, provider="anthropic")
    simulator.reset_faults()
    collection.collect_team("app", WINDOW, dag_run_id="usage-panels")
    collection.collect_team("claude", WINDOW, dag_run_id="usage-panels", provider="anthropic")
    with psycopg.connect(warehouse, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def get(loaded, finops_app, tokens):
    from fastapi.testclient import TestClient

    clients = {}
    for user in ("admin", "viewer"):
        clients[user] = TestClient(finops_app, follow_redirects=False)
        clients[user].cookies.set("_token", tokens[user])

    def fetch(path: str, user: str = "viewer") -> str:
        response = clients[user].get(path)
        assert response.status_code == 200, response.text
        return response.text
    return fetch


def section(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return page[start:page.index("</section>", start)]


def rows(part: str, key: str) -> dict[str, dict[str, str]]:
    """Each ``<tr data-KEY=...>`` of ``part`` as its data attributes."""
    out = {}
    for attrs in re.findall(rf"<tr (data-{key}=[^>]*)>", part):
        values = {k: html.unescape(v) for k, v in re.findall(r'data-([a-z0-9-]+)="([^"]*)"', attrs)}
        out[values[key]] = values
    return out


def usage_sql(db, team: str, start: date, end: date) -> dict[str, tuple[int, int, int, int, int | None]]:
    """Per usage model: input, cache reads, cache writes, output tokens and requests, in SQL over usage_data."""
    return {m: (int(i), int(c), int(w), int(o), None if r is None else int(r)) for m, i, c, w, o, r in db.execute(
        "SELECT model, sum(input_tokens), sum(cache_read_tokens), sum(cache_write_tokens), sum(output_tokens), "
        "sum(requests) FROM finops.usage_data WHERE team_id = %s AND usage_date >= %s AND usage_date < %s "
        "AND model IS NOT NULL GROUP BY model", (team, start, end))}


def token_cost_sql(db, team: str, start: date, end: date, skip: date | None = None) -> dict[str, Decimal]:
    """Per model, the cost of its token line items (leaving out the day ``skip``), in SQL over cost_data."""
    return dict(db.execute(
        "SELECT li.model, sum(c.amount) FROM finops.cost_data c JOIN finops.line_items li USING (provider, line_item) "
        "WHERE c.team_id = %s AND c.usage_date >= %s AND c.usage_date < %s AND li.token_kind = ANY(%s) "
        "AND li.cost_kind = 'tokens' AND c.usage_date IS DISTINCT FROM %s GROUP BY li.model",
        (team, start, end, TOKEN_KINDS, skip)))


def spend_sql(db, start: date, end: date) -> dict[str, Decimal]:
    """Per team, spend in SQL over cost_data."""
    return dict(db.execute("SELECT team_id, sum(amount) FROM finops.cost_data WHERE usage_date >= %s "
                           "AND usage_date < %s GROUP BY team_id", (start, end)))


def test_team_page_tokens_per_model_equal_sql_and_cost_per_1m_is_sql_cost_over_tokens(get, loaded):
    db = loaded
    start, end = date(2026, 3, 4), date(2026, 3, 11)  # no missing usage day: every token cost meets its tokens
    for user in ("viewer", "admin"):
        page = get(f"/finops/overview/teams/app?period=custom&from={start}&to={end - timedelta(days=1)}", user)
        models = rows(section(page, "usage-panels"), "model")
        expected = usage_sql(db, "app", start, end)
        assert expected and "gpt-4o-2024-08-06" in expected
        shown = {m: (int(r["input"]), int(r["cache-read"]), int(r["cache-write"]), int(r["output"]),
                     int(r["requests"]) if r["requests"] else None) for m, r in models.items()}
        assert shown == expected
        costs = token_cost_sql(db, "app", start, end)
        for model, (i, c, w, o, _) in expected.items():
            if not i + c + w + o:  # requests without tokens (images, audio): no division
                assert models[model]["cost-per-1m"] == "" and model not in costs, model
                continue
            assert Decimal(models[model]["cost-per-1m"]) == costs[model] * MILLION / (i + c + w + o), model
            assert Decimal(models[model]["matched-cost"]) == costs[model]
        assert "dall-e-3" in models
        gpt4o = expected["gpt-4o-2024-08-06"]
        rate = Decimal(gpt4o[1]) / (gpt4o[0] + gpt4o[1] + gpt4o[2])
        assert gpt4o[1] > 0
        kpis = section(page, "usage-panels")
        total_tokens = sum(sum(v[:4]) for v in expected.values())
        assert f'data-tokens="{total_tokens}"' in kpis
        if len(expected) == 1:
            assert f"{(rate * 100).quantize(Decimal('0.1'))} %" in kpis
        assert "Shown apart" not in kpis, "no cost without usage in these days"


def test_cost_without_usage_is_shown_apart_with_a_sentence_and_never_divided(get, loaded):
    db = loaded
    page = get("/finops/overview/teams/app")  # March to date: March 2 has costs and no usage
    part = section(page, "usage-panels")
    assert "of token cost has no usage behind it on its day" in html.unescape(part)
    missing = token_cost_sql(db, "app", USAGE_MISSING_DAY, USAGE_MISSING_DAY + timedelta(days=1))
    apart = {m: Decimal(c) for m, c in re.findall(r'<span data-model="([^"]*)" data-cost="([^"]*)">', part)}
    assert apart == missing and sum(apart.values()) > 0
    models = rows(part, "model")
    costs = token_cost_sql(db, "app", *MARCH, skip=USAGE_MISSING_DAY)
    tokens = usage_sql(db, "app", *MARCH)
    for model, (i, c, w, o, _) in tokens.items():  # the unit cost leaves the day without usage out, on both sides
        if not i + c + w + o:
            continue
        assert Decimal(models[model]["cost-per-1m"]) == costs[model] * MILLION / (i + c + w + o), model


def test_the_change_explained_adds_up_exactly_per_team_and_per_model(get, loaded):
    db = loaded
    overview = section(get("/finops/overview"), "usage-explained")
    teams = rows(overview, "key")
    current, previous = spend_sql(db, *MARCH), spend_sql(db, *FEBRUARY)
    assert set(teams) == {"app", "claude", "total"}
    for key, r in teams.items():
        parts = [Decimal(r[k]) for k in ("volume", "mix", "price")]
        assert sum(parts) == Decimal(r["change"]) == Decimal(r["current"]) - Decimal(r["previous"]), key
        if key != "total":
            assert Decimal(r["current"]) == current[key] and Decimal(r["previous"]) == previous[key], key
    assert Decimal(teams["total"]["current"]) == sum(current.values())
    assert "the same days of last month" in overview

    page = section(get("/finops/overview/teams/app", "admin"), "usage-explained")
    assert "by model" in page
    models = rows(page, "key")
    total = models.pop("total")
    assert Decimal(total["current"]) == current["app"] and Decimal(total["previous"]) == previous["app"]
    assert sum(Decimal(r["change"]) for r in models.values()) == Decimal(total["change"])
    for key, r in models.items():
        assert sum(Decimal(r[k]) for k in ("volume", "mix", "price")) == Decimal(r["change"]), key


def test_cost_per_1m_chart_per_day_equals_sql_and_gaps_are_not_zero(get, loaded):
    db = loaded
    page = get("/finops/overview/teams/app")
    chart = section(page, "usage-panels")
    data = json.loads(re.search(r'data-testid="unit-chart".*?<script type="application/json" '
                                r'class="chart-data-json">(.*?)</script>', chart, re.S)[1])
    assert data["kind"] == "line" and data["unit"] == "per 1M tokens"
    assert data["days"][0] == "2026-03-01" and data["days"][-1] == "2026-03-10"
    series = {s["label"]: s["amounts"] for s in data["series"]}
    gpt = series["gpt-4o-2024-08-06"]
    assert gpt[data["days"].index(USAGE_MISSING_DAY.isoformat())] is None, "a day without usage is a gap, not 0"
    day = date(2026, 3, 5)
    cost = token_cost_sql(db, "app", day, day + timedelta(days=1))["gpt-4o-2024-08-06"]
    i, c, w, o, _ = usage_sql(db, "app", day, day + timedelta(days=1))["gpt-4o-2024-08-06"]
    assert Decimal(gpt[4]) == (cost * MILLION / (i + c + w + o)).quantize(Decimal("0.000001"))
    assert 'class="series-line"' in chart and "<circle" in chart


def test_usage_csv_has_the_report_usage_columns_and_sql_tokens(get, loaded):
    db = loaded
    page = get("/finops/overview/teams/app")
    link = html.unescape(re.search(r'href="([^"]*)" download data-testid="usage-csv-link"', page)[1])
    assert "usage=1" in link and "group=model" in link
    text = get(link)
    records = list(csv.DictReader(io.StringIO(text)))
    assert list(records[0])[-7:] == ["amount", "requests", "input_tokens", "cache_read_tokens", "cache_write_tokens",
                                     "output_tokens", "cost_per_1m_tokens"]
    assert list(records[0])[:3] == ["team_id", "model", "usage_date"]
    sums: dict[str, list[int]] = {}
    for r in records:
        s = sums.setdefault(r["model"], [0, 0, 0, 0])
        for n, col in enumerate(("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")):
            s[n] += int(r[col] or 0)
    expected = usage_sql(db, "app", *MARCH)
    assert {m: tuple(v) for m, v in sums.items() if m in expected} == {m: v[:4] for m, v in expected.items()}
    amounts = sum(Decimal(r["amount"]) for r in records)
    assert amounts == spend_sql(db, *MARCH)["app"]
    plain = get("/finops/overview/export.csv?team=app&group=model")
    assert "cost_per_1m_tokens" not in plain.splitlines()[0], "without usage=1 the CSV stays the spend report's"


def test_overview_shows_every_team_usage_and_anthropic_without_requests(get, loaded):
    db = loaded
    part = section(get("/finops/overview?provider=anthropic"), "usage-panels")
    models = rows(part, "model")
    assert models and all(r["requests"] == "" for r in models.values()), "Anthropic reports no requests"
    tokens = db.execute("SELECT sum(input_tokens + cache_read_tokens + cache_write_tokens + output_tokens) "
                        "FROM finops.usage_data WHERE provider = 'anthropic' AND usage_date >= %s AND usage_date < %s",
                        MARCH).fetchone()[0]
    assert sum(int(r["tokens"]) for r in models.values()) == tokens


def test_the_page_bench_renders_the_panels_the_route_renders(get, loaded):
    from finops.analytics.report import month_period
    from finops.bench.page import overview_page

    for team_id, path in ((None, "/finops/overview"), ("app", "/finops/overview/teams/app")):
        benched = overview_page(month_period("2026-03"), TODAY, team_id)
        served = get(path)
        for testid, start in (("usage-panels", "</header>"), ("usage-explained", "</h2>")):
            table = section(served, testid)
            assert section(benched, testid).split(start, 1)[1] == table.split(start, 1)[1], (path, testid)


def test_the_page_read_equals_the_report_query_for_every_scope(loaded):
    """One statement per page (page_segments.sql) returns what three reads of segments.sql return, to the last digit:
    the month by day and model, and both periods by team (overview) or by model (team page)."""
    from finops.analytics.report import Period
    from finops.usage.report import page_segments, segments
    from finops.warehouse.db import connect

    current, previous = Period(*MARCH), Period(*FEBRUARY)

    def order(rows):
        return sorted(rows, key=lambda s: (tuple(map(str, s.key)), str(s.model), str(s.token_kind)))

    with connect() as conn:
        for team_id in (None, "app", "claude"):
            by = ("model",) if team_id else ("team_id",)
            for provider in (None, "openai", "anthropic"):
                scope = {"provider": provider, "team_id": team_id}
                read = page_segments(conn, current, previous, by, **scope)
                assert order(read.daily) == order(segments(conn, current, ("usage_date", "model"), **scope))
                assert order(read.previous) == order(segments(conn, previous, by, **scope))
                assert order(read.current) == order(segments(conn, current, by, **scope))
                if provider is None and team_id != "app":  # Anthropic's model ids named as its line items: they meet
                    assert any(s.model and s.model.startswith("claude") and s.matched_tokens for s in read.current)
