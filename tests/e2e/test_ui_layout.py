"""Every FinOps page in Debian's chromium at 1024, 1440 and 1920 px, as admin, as viewer (reads every team), as
``lead`` (a member reader of growth) and as ``outsider`` (no team: the list and overview say whom to ask), against a real api-server; the team page with its Members, Channels,
Digests and Statements sections filled.

On each page: no two text boxes of different cells or sections overlap, no text is cut (outside the page or
a clipping box), and axe-core (installed from npm by the test setup, injected with Playwright) finds no serious
or critical violation. On the charts: hovering a day shows that day's amounts exactly as SQL over ``cost_data``
sums them, the arrow keys move between days, and a legend button hides a series. On the overview and the team
spend page, the usage panels' tokens per model equal SQL over ``usage_data``, cost per 1M tokens equals SQL cost /
tokens (and so does the hovered day of its chart), and the change's parts add up. Screenshots go to
``artifacts/``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from test_ui_browser import ARTIFACTS, log_in

from finops.alerts.budgets import set_budget
from finops.analytics.rollups import rebuild_usage, refresh_rollups
from finops.costs.models import CostRow
from finops.showback import statements
from finops.showback.channels import set_channels
from finops.showback.members import add_member
from finops.warehouse.db import connect
from finops.warehouse.loader import Window, replace_window

WIDTHS = (1024, 1440, 1920)
#: Real-length IDs (``proj_`` + 24 characters) and long names: short ones hide overflow.
PROJECTS = {"proj_2atzVXUEvZU1ZXK11jcJE2OL": "Customer support assistant (production)",
            "proj_Qm8rT2vLx9KpZ4wNc7YhB1sD": "Web search", "unassigned": None}
ITEMS = ("gpt-4o-2024-08-06, input", "gpt-4o-mini-2024-07-18, output", "batch | gpt-4o-mini-2024-07-18, output")
ROLLUPS_TRUNCATE = "TRUNCATE finops.line_items, finops.spend_project_daily, finops.spend_project_monthly, " \
                   "finops.spend_model_daily"

#: Text boxes (one per line of each text node) with the cell or section that holds them; hidden text left out.
TEXT_BOXES = """() => {
  const cells = "td, th, li, dt, dd, p, h1, h2, h3, h4, label, button, summary, caption, figcaption, a, code, .badge, svg";
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let cellIds = new Map(), next = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || el.closest("script, style, .visually-hidden, title, desc")) continue;
    const closed = el.closest("details:not([open])");
    if (closed && !el.closest("summary")) continue;
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    const cell = el.closest(cells) || el;
    if (!cellIds.has(cell)) cellIds.set(cell, next++);
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width < 1 || r.height < 1) continue;
      out.push({cell: cellIds.get(cell), text: node.textContent.trim().slice(0, 40),
                x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height, clip: clipped(el, r)});
    }
  }
  function clipped(el, r) {
    if (r.left < -0.5 || r.right > document.documentElement.clientWidth + 0.5) return "outside the page";
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === "visible" && s.overflowY === "visible") continue;
      const b = a.getBoundingClientRect();
      if (r.left < b.left - 0.5 || r.right > b.right + 0.5 || r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5)
        return "clipped by " + a.tagName.toLowerCase() + "." + a.className;
    }
    return null;
  }
  return out;
}"""


def layout_problems(page) -> list[str]:
    """Overlapping text boxes of different cells, and cut text, on the page as it is laid out now."""
    boxes = page.evaluate(TEXT_BOXES)
    problems = [f"cut: {b['text']!r} ({b['clip']})" for b in boxes if b["clip"]]
    if page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"):
        problems.append("the page scrolls sideways")
    boxes.sort(key=lambda b: b["y"])
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if b["y"] >= a["y"] + a["h"]:
                break
            if a["cell"] == b["cell"]:
                continue
            dx = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
            dy = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
            if dx > 1 and dy > 1:
                problems.append(f"overlap: {a['text']!r} and {b['text']!r}")
    return problems


def axe_violations(page, axe_source: str) -> list[str]:
    """axe-core's serious and critical violations on the page."""
    page.evaluate(axe_source)
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
        .filter(v => v.impact === "serious" || v.impact === "critical")
        .map(v => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "))""")
    return list(found)


@pytest.fixture(scope="module")
def axe_source() -> str:
    from finops.devenv.local import ensure_axe_core

    return ensure_axe_core().read_text()


def seed(db, today: date, statements_dest) -> None:
    """Growth (named projects with real-length IDs, a budget, a failed day, members, channels and last month's
    statement), plus 30 more teams for the list."""
    db.execute(ROLLUPS_TRUNCATE)
    db.execute("TRUNCATE finops.team_statements, finops.team_deliveries, finops.team_members, finops.team_channels "
               "CASCADE")
    db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES "
               "('growth', 'Growth and lifecycle marketing team', 'test')")
    for project, name in PROJECTS.items():
        if name:
            db.execute("INSERT INTO finops.projects (team_id, project_id, name, created_by) VALUES ('growth', %s, %s, "
                       "'test')", (project, name))
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    start = min(today - timedelta(days=40), last_month)  # last month whole, for its statement
    window = Window(start, today + timedelta(days=1))
    rows = [CostRow(start + timedelta(days=d), project, item, "usd",
                    Decimal(d % 9 + 1 + i) * Decimal("1.7130804383403075") + Decimal("3.5000000000000004E-8"),
                    Decimal(1), "tokens", "org")
            for d in range((window.end - start).days) for project in PROJECTS for i, item in enumerate(ITEMS)]
    replace_window("growth", window, iter(rows), dag_run_id="manual__seed", started_at=datetime.now(UTC))
    db.execute("INSERT INTO finops.collection_runs (team_id, window_start, window_end, status, error, started_at, "
               "finished_at) VALUES ('growth', %s, %s, 'failed', 'The Costs API answered HTTP 503 four times; the "
               "run will retry.', now(), now())", (today - timedelta(days=6), today - timedelta(days=5)))
    for n in range(30):
        db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 'test')",
                   (f"bulk-team-{n:02d}", f"Bulk team number {n:02d} with a long name"))
    with connect() as conn:
        refresh_rollups(conn, "openai", "growth", window.start, window.end)
    seed_usage(db, start, today)
    set_budget("growth", "1000", "test", today=today)
    add_member("growth", "lead", "airflow:admin")
    add_member("growth", "a.really.long.username.of.the.finance-business-partner", "airflow:admin", role="manager")
    set_channels("growth", "airflow:admin", email="growth-lifecycle-marketing-leads@example.com, finance@example.com",
                 slack_conn="growth_lifecycle_marketing_slack", webhook_conn="growth_hook")
    dest = statements.destination(str(statements_dest))
    as_of = statements.month_end(last_month) + timedelta(days=10)
    assert statements.issue("growth", last_month, as_of=as_of, lookback_days=2, dest=dest).outcome == "issued"
    db.execute("UPDATE finops.cost_data SET amount = amount + 0.01 WHERE team_id = 'growth' AND usage_date = %s",
               (last_month,))  # a restatement: version 2 lists the changed lines
    assert statements.issue("growth", last_month, as_of=as_of, lookback_days=2, dest=dest).outcome == "amended"
    from finops.showback import tasks

    assert tasks.compose_digests({"team_id": "growth"}, datetime.combine(today, datetime.min.time(), UTC))[
        "recorded"] == ["growth"]


def seed_usage(db, start: date, today: date) -> None:
    """Usage behind the costs (cache reads that cost nothing), with one day's usage missing: the panels' cases."""
    rows = []
    for d in range(41):
        day = start + timedelta(days=d)
        if day == today - timedelta(days=3):
            continue  # costs without usage, shown apart
        for n, project in enumerate(PROJECTS):
            rows += [(day, project, "gpt-4o-2024-08-06", False, 120 + d, 40_000 + 1_000 * d + n, 9_000 + 7 * d, 0),
                     (day, project, "gpt-4o-mini-2024-07-18", False, 300 + n, 0, 0, 250_000 + 3_000 * (d % 9)),
                     (day, project, "gpt-4o-mini-2024-07-18", True, 90, 0, 0, 80_000 + 2_000 * d)]
    with db.cursor() as cur:
        cur.executemany("INSERT INTO finops.usage_data (provider, team_id, usage_date, project_id, endpoint, model, "
                        "batch, requests, input_tokens, cache_read_tokens, output_tokens, collected_at) VALUES "
                        "('openai', 'growth', %s, %s, 'completions', %s, %s, %s, %s, %s, %s, now())", rows)
    with connect() as conn:
        rebuild_usage(conn)  # usage written behind the loader's back: the panels' rollup recomputed (as loads do)


def money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f} USD"


def spent_since(db, first: date) -> Decimal:
    return db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = 'growth' AND usage_date >= %s",
                      (first,)).fetchone()[0]


def day_sql(db, day: str) -> tuple[dict[str, Decimal], Decimal]:
    rows = db.execute("SELECT project_id, sum(amount) FROM finops.cost_data WHERE team_id = 'growth' "
                      "AND usage_date = %s GROUP BY project_id", (date.fromisoformat(day),)).fetchall()
    by_project = dict(rows)
    return by_project, sum(by_project.values(), Decimal(0))


def check_chart(page, db) -> None:
    """Hover, keys and legend of the page's chart, against SQL over cost_data."""
    chart = page.locator("figure[data-chart]")
    data = json.loads(chart.locator(".chart-data-json").text_content())
    day = len(data["days"]) - 8
    page.locator(f"figure[data-chart] .day-hit[data-day='{day}']").hover()
    tip = chart.locator("[data-testid=chart-tip]")
    tip.locator("strong", has_text=data["days"][day]).wait_for()
    by_project, total = day_sql(db, data["days"][day])
    shown = {}
    for row in tip.locator(".tip-row[data-series]").all():
        series = data["series"][int(row.get_attribute("data-series"))]
        amount, currency = row.locator("dd").inner_text().split(" ")
        assert currency == "USD"
        shown[series["id"] or "unassigned"] = Decimal(amount)
    assert shown == by_project, "the hover breakdown is SQL's, to the last digit"
    assert Decimal(tip.locator("[data-testid=tip-total]").inner_text().split(" ")[0]) == total
    assert Decimal(data["totals"][day]) == total
    chart.screenshot(path=str(ARTIFACTS / "finops-chart-hover.png"))

    svg = page.locator("figure[data-chart] > svg")
    svg.focus()
    page.keyboard.press("ArrowLeft")
    tip.locator("strong", has_text=data["days"][day - 1]).wait_for()

    first = chart.locator(".chart-legend li[data-series='0'] button")
    first.click()
    assert first.get_attribute("aria-pressed") == "false"
    assert chart.locator(".segment[data-series='0']").first.is_hidden()
    assert tip.locator(".tip-row[data-series='0']").count() == 0
    first.click()
    assert chart.locator(".segment[data-series='0']").first.is_visible()


def usage_sql(db, start: date, end: date) -> dict[str, tuple[int, int, int]]:
    """Per model: input, cache read and output tokens over [start, end), in SQL over usage_data."""
    return {m: (int(i), int(c), int(o)) for m, i, c, o in db.execute(
        "SELECT model, sum(input_tokens), sum(cache_read_tokens), sum(output_tokens) FROM finops.usage_data "
        "WHERE team_id = 'growth' AND usage_date >= %s AND usage_date < %s GROUP BY model", (start, end))}


def unit_sql(db, start: date, end: date) -> dict[str, Decimal]:
    """Per model, cost per 1M tokens over the days and kinds where cost and tokens meet, in SQL."""
    return dict(db.execute("""
        WITH u AS (SELECT usage_date, model, 'input' AS kind, sum(input_tokens) AS n FROM finops.usage_data
                   WHERE usage_date >= %(s)s AND usage_date < %(e)s GROUP BY 1, 2
                   UNION ALL SELECT usage_date, model, 'output', sum(output_tokens) FROM finops.usage_data
                   WHERE usage_date >= %(s)s AND usage_date < %(e)s GROUP BY 1, 2),
             c AS (SELECT c.usage_date, li.model, li.token_kind AS kind, sum(c.amount) AS cost
                   FROM finops.cost_data c JOIN finops.line_items li USING (provider, line_item)
                   WHERE c.usage_date >= %(s)s AND c.usage_date < %(e)s GROUP BY 1, 2, 3)
        SELECT model, sum(cost) * 1000000 / sum(n) FROM u JOIN c USING (usage_date, model, kind)
        WHERE n > 0 GROUP BY model""", {"s": start, "e": end}))


def rate(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01') if value >= 1 else Decimal('0.0001'), rounding=ROUND_HALF_UP):,} USD"


def check_usage_panels(page, db, start: date, end: date) -> None:
    """The usage panels' tokens and unit costs as SQL computes them; the change's parts add up; the chart's hover."""
    panel = page.locator("[data-testid=usage-panels]")
    tokens, units = usage_sql(db, start, end), unit_sql(db, start, end)
    assert set(tokens) == {"gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18"}
    for model, (inp, cached, out) in tokens.items():
        cells = panel.locator(f"tr[data-model='{model}'] td").all_inner_texts()
        assert cells[2:6] == [f"{inp:,}", f"{cached:,}", "0", f"{out:,}"], model
        assert cells[6] == rate(units[model]), model
    assert "of token cost has no usage behind it" in panel.inner_text()
    assert "tokens have no cost behind them" in panel.inner_text()
    explained = page.locator("[data-testid=explained-table] tr[data-key]").all()
    for row in explained:
        parts = [Decimal(row.get_attribute(f"data-{k}")) for k in ("volume", "mix", "price")]
        assert sum(parts) == Decimal(row.get_attribute("data-change"))
    chart = page.locator("figure[data-testid=unit-chart]")
    data = json.loads(chart.locator(".chart-data-json").text_content())
    day = len(data["days"]) - 2
    chart.locator(f".day-hit[data-day='{day}']").hover()
    tip = chart.locator("[data-testid=chart-tip]")
    tip.locator("strong", has_text=data["days"][day]).wait_for()
    first = date.fromisoformat(data["days"][day])
    one_day = unit_sql(db, first, first + timedelta(days=1))
    for row in tip.locator(".tip-row[data-series]").all():
        series = data["series"][int(row.get_attribute("data-series"))]
        shown = Decimal(row.locator("dd").inner_text().split(" ")[0])
        assert shown == one_day[series["label"]].quantize(Decimal("0.000001")), series["label"]


def check_showback_sections(page, user: str) -> None:
    """Members, Channels and Statements as the user sees them; both statement versions download."""
    members = page.locator("[data-testid=members-section]")
    assert members.locator("tr[data-member]").count() == 2
    assert (members.locator("[data-testid=member-form]").count() == 1) == (user == "admin")
    channels = page.locator("[data-testid=channels-section]")
    assert "growth-lifecycle-marketing-leads@example.com" in channels.inner_text()
    assert (channels.locator("[data-testid=channels-form]").count() == 1) == (user == "admin")
    rows = page.locator("[data-testid=statements] tbody tr")
    assert rows.count() == 2 and "amended" in rows.first.inner_text()
    with page.expect_download() as download:
        rows.first.locator("[data-testid=statement-csv]").click()
    assert download.value.suggested_filename.endswith("-v2.csv")
    page.locator("#statements").screenshot(path=str(ARTIFACTS / f"finops-team-statements-{user}.png"))
    digests = page.locator("[data-testid=digests] tbody tr[data-digest]")
    assert digests.count() == 1 and "pending" in digests.first.inner_text()
    assert "weekly digest" in page.locator("[data-testid=digests] .digest-text").first.inner_text()
    page.locator("#digests").screenshot(path=str(ARTIFACTS / f"finops-team-digests-{user}.png"))


PAGES = {"team-list": "/finops/", "team": "/finops/teams/growth", "overview": "/finops/overview",
         "team-spend": "/finops/overview/teams/growth?group=project&period=30d"}


def test_every_page_at_every_width_as_admin_viewer_and_member(api_server, browser, db, axe_source, tmp_path):
    today = datetime.now(UTC).date()
    seed(db, today, tmp_path / "statements")
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    for user in ("admin", "viewer", "lead", "outsider"):
        page = log_in(browser, api_server, user)
        for name, path in PAGES.items():
            if user == "outsider" and "growth" in path:
                continue  # a user in no team: the empty list and overview that say whom to ask
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(api_server.base_url + path)
                page.locator("[data-testid=mode], [data-testid=manage-link]").first.wait_for()
                if user == "outsider":
                    assert page.locator("[data-testid=no-team]").is_visible() and "growth" not in page.content()
                if page.locator("figure[data-chart]").count() and user != "outsider":  # no series: no legend
                    page.locator("figure[data-chart] .legend-toggle").first.wait_for()  # the script ran
                if name == "team":  # the digests' text open: checked for overlap and cuts like the rest
                    page.evaluate("document.querySelectorAll('#digests details').forEach(d => { d.open = true; })")
                where = f"{name} as {user} at {width} px"
                problems += [f"{where}: {p}" for p in layout_problems(page)]
                problems += [f"{where}: axe {v}" for v in axe_violations(page, axe_source)]
                page.screenshot(path=str(ARTIFACTS / f"finops-{name}-{user}-{width}.png"), full_page=True)
                if name == "team" and width == 1440:
                    check_chart(page, db)
                    assert (page.locator("form[method=post]").count() > 0) == (user == "admin")
                    assert "Customer support assistant (production)" in page.locator("#scopes").inner_text()
                    assert "proj_2atzVXUEvZU1ZXK11jcJE2OL" in page.locator("[data-testid=legend]").inner_text()
                    check_showback_sections(page, user)
                if name in ("overview", "team-spend") and width == 1440 and user != "outsider":
                    first = today.replace(day=1) if name == "overview" else today - timedelta(days=29)
                    check_usage_panels(page, db, first, today + timedelta(days=1))
                    page.locator("[data-testid=usage-panels]").screenshot(
                        path=str(ARTIFACTS / f"finops-usage-{name}-{user}.png"))
                if name == "team-list" and width == 1440 and user == "lead":
                    assert page.locator("table.team-list tbody tr").count() == 1  # growth only: lead's one team
                elif name == "team-list" and width == 1440 and user != "outsider":
                    assert page.locator("table.team-list tbody tr").count() == 25  # 31 teams, 25 a page
                    page.locator("th a[data-sort=spend]").click()  # the biggest spender first
                    page.wait_for_url("**sort=spend&order=desc**")
                    assert page.locator("table.team-list tbody tr").first.get_attribute("data-team") == "growth"
                    row = page.locator("tr[data-team=growth]")
                    assert row.locator("td.num").nth(0).inner_text() == money(spent_since(db, today - timedelta(days=29)))
                    assert row.locator("td.num").nth(0).inner_text().endswith("USD")
                    row.get_by_role("link", name="Growth and lifecycle marketing team").click()
                    page.wait_for_url("**/finops/teams/growth")
    assert problems == [], "\n".join(problems)
