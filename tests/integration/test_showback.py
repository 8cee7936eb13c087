"""Showback against the real PostgreSQL: members and channels through the CLI (audited), the scope loader,
statements equal to SQL over cost_data, amended statements on restatement, digests once per week, and
delivery to a team's own channels (real local webhook and SMTP receivers) retried after a failure."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from finops.cli import main
from finops.showback import delivery, digest, statements, tasks
from finops.showback.access import AirflowIdentity, ScopeKind, load_scope

AS_OF = date(2026, 12, 7)  # a Monday; November is settled (its last day is outside the 2-day look-back)
NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def cli(db, capsys):
    def run(*args: str):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def teams(db):
    db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('growth', 'Growth', 't'), "
               "('search', 'Search', 't'), ('quiet', 'Quiet', 't')")
    return db


def add_costs(db, team: str, start: date, end: date, amount_of, project="proj_growthWeb",
              line_item="gpt-4o-2024-08-06, input", provider="openai") -> None:
    rows, day = [], start
    while day < end:
        rows.append((provider, team, day, project, line_item, "usd", amount_of(day)))
        day += timedelta(days=1)
    with db.cursor() as cur:
        cur.executemany("INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, "
                        "amount, collected_at) VALUES (%s, %s, %s, %s, %s, %s, %s, now())", rows)


def collected(db, team: str, start: date, end: date, provider="openai") -> None:
    db.execute("INSERT INTO finops.collection_runs (provider, team_id, window_start, window_end, status, started_at) "
               "VALUES (%s, %s, %s, %s, 'success', now())", (provider, team, start, end))


# -- members and scope --------------------------------------------------------------------------------------

def test_members_add_list_remove_are_audited_and_refuse_in_one_sentence(cli, teams, db):
    code, out, err = cli("members", "add", "growth", "viewer")
    assert code == 0, err
    assert "viewer is now a reader of team growth" in out
    assert cli("members", "add", "growth", "jane.doe", "--role", "manager")[0] == 0
    assert cli("members", "add", "search", "viewer")[0] == 0
    code, out, _ = cli("members", "add", "growth", "viewer", "--role", "manager")
    assert code == 0 and "now a manager of team growth (was reader)" in out
    code, out, _ = cli("members", "add", "growth", "viewer", "--role", "manager")
    assert "already a manager" in out

    code, out, _ = cli("members", "list", "growth")
    lines = out.splitlines()
    assert code == 0 and [ln.split()[:3] for ln in lines[2:]] == [["growth", "jane.doe", "manager"],
                                                                ["growth", "viewer", "manager"]]
    assert cli("members", "remove", "search", "viewer")[0] == 0

    code, _, err = cli("members", "add", "nope", "viewer")
    assert code == 1 and err.count("\n") == 1 and "Team nope does not exist" in err
    code, _, err = cli("members", "add", "growth", "two words")
    assert code == 2 and "is not an Airflow username" in err
    code, _, err = cli("members", "remove", "growth", "ghost")
    assert code == 1 and "ghost is no member of team growth; see `finops members list growth`." in err
    code, _, _ = cli("members", "add", "growth", "x", "--role", "owner")
    assert code == 2

    audit = db.execute("SELECT action, team_id, detail, actor LIKE 'cli:%%' FROM finops.audit_log "
                       "WHERE action LIKE 'member.%%' ORDER BY audit_id").fetchall()
    assert audit == [("member.add", "growth", "viewer as reader", True),
                     ("member.add", "growth", "jane.doe as manager", True),
                     ("member.add", "search", "viewer as reader", True),
                     ("member.role", "growth", "viewer: reader -> manager", True),
                     ("member.remove", "search", "viewer (was reader)", True)]


def test_the_scope_loader_reads_memberships_and_the_variable(cli, teams, monkeypatch):
    assert cli("members", "add", "growth", "viewer")[0] == 0
    assert cli("members", "add", "search", "viewer", "--role", "manager")[0] == 0
    found = load_scope(AirflowIdentity("viewer", ("viewer",)), may_edit_connections=False)
    assert found.kind is ScopeKind.TEAMS and dict(found.teams) == {"growth": "reader", "search": "manager"}
    assert load_scope(AirflowIdentity("stranger"), may_edit_connections=False).kind is ScopeKind.NONE
    assert load_scope(AirflowIdentity("stranger"), may_edit_connections=True).kind is ScopeKind.ALL_MANAGE
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_ALL_TEAMS_READERS", '["role:Finance", "auditor"]')
    assert load_scope(AirflowIdentity("auditor"), may_edit_connections=False).kind is ScopeKind.ALL_READ
    assert load_scope(AirflowIdentity("jane", ("Viewer", "Finance")), may_edit_connections=False).sees_all
    assert load_scope(AirflowIdentity("viewer", ("viewer",)), may_edit_connections=False).kind is ScopeKind.TEAMS


def test_channels_set_list_clear_and_refusals(cli, teams, db):
    code, out, err = cli("channels", "set", "growth", "--email", "lead@example.com, fin@example.com",
                         "--webhook-conn", "growth_hook")
    assert code == 0, err
    assert "e-mail fin@example.com, lead@example.com; webhook `growth_hook`" in out
    assert cli("channels", "set", "growth", "--slack-conn", "growth_slack")[0] == 0  # the others stay
    code, out, _ = cli("channels", "list")
    assert "growth_hook" in out and "growth_slack" in out and "lead@example.com" in out
    assert cli("channels", "set", "growth", "--webhook-conn", "")[0] == 0
    from finops.showback.channels import alert_channels, team_channels

    found = team_channels("growth")
    assert found.webhook_conn_id is None and found.slack_conn_id == "growth_slack"
    assert [c.name for c in alert_channels("growth", [])] == ["team-slack", "team-email"]
    assert alert_channels(None, ["global"]) == ["global"]
    code, _, err = cli("channels", "set", "growth", "--email", "not-an-address")
    assert code == 2 and "is not an e-mail address" in err
    code, _, err = cli("channels", "set", "growth")
    assert code == 2 and "Nothing to set" in err
    assert db.execute("SELECT count(*) FROM finops.audit_log WHERE action = 'channels.set'").fetchone()[0] == 3


# -- statements ----------------------------------------------------------------------------------------------

@pytest.fixture
def november(teams):
    """Growth spent every day of November on two providers (float-noisy amounts), collected successfully."""
    add_costs(teams, "growth", NOVEMBER, date(2026, 12, 1), lambda d: Decimal(f"{d.day}.1000000000000000055511151231257827"))
    add_costs(teams, "growth", NOVEMBER, date(2026, 12, 1), lambda d: Decimal("0.35"), project="default",
              line_item="Claude Sonnet 4 usage - input tokens", provider="anthropic")
    add_costs(teams, "growth", date(2026, 12, 1), AS_OF, lambda d: Decimal(1))
    collected(teams, "growth", date(2026, 11, 25), date(2026, 12, 7))
    collected(teams, "growth", date(2026, 11, 29), date(2026, 12, 2), provider="anthropic")
    return teams


def sql_total(db, team="growth", start=NOVEMBER, end=date(2026, 12, 1)) -> Decimal:
    return db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = %s AND usage_date >= %s "
                      "AND usage_date < %s", (team, start, end)).fetchone()[0]


def csv_total(path: str) -> Decimal:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["provider", "project", "model", "token_kind", "day", "amount", "currency"]
    total = Decimal(0)
    for row in rows:
        total = total.fma(1, Decimal(row["amount"]))  # exact: fma rounds once at full precision
    return total


def test_a_settled_month_gets_one_statement_equal_to_sql_and_a_restatement_an_amended_one(november, tmp_path):
    dest = statements.destination(str(tmp_path))
    issued = statements.issue("growth", NOVEMBER, as_of=AS_OF, lookback_days=2, dest=dest)
    assert issued.outcome == "issued" and issued.version == 1
    expected = sql_total(november)
    assert Decimal(issued.totals["usd"]) == expected
    assert issued.csv == str(tmp_path / "team=growth/month=2026-11/statement-growth-2026-11-v1.csv")
    import decimal

    with decimal.localcontext(decimal.Context(prec=200)):
        assert csv_total(issued.csv) == expected
    html = Path(issued.html).read_text()
    from finops.money import plain

    assert f'data-exact="{plain(expected)}"' in html
    assert html.split('<table class="lines">')[1].count("<tr>") == 60 + 1
    row = november.execute("SELECT version, totals, line_count, checksum FROM finops.team_statements").fetchone()
    assert row[0] == 1 and Decimal(row[1]["usd"]) == expected and row[2] == 60
    import hashlib

    assert row[3] == hashlib.sha256(Path(issued.csv).read_bytes()).hexdigest()
    assert not list(Path(tmp_path).rglob(".focus-*"))  # no temporary file left

    again = statements.issue("growth", NOVEMBER, as_of=AS_OF + timedelta(days=1), lookback_days=2, dest=dest)
    assert again.outcome == "unchanged" and again.version == 1

    # The provider restates 2026-11-10 (a settled day) upwards and drops 2026-11-11's Anthropic line.
    november.execute("UPDATE finops.cost_data SET amount = 99.5 WHERE team_id = 'growth' AND provider = 'openai' "
                     "AND usage_date = '2026-11-10'")
    november.execute("DELETE FROM finops.cost_data WHERE team_id = 'growth' AND provider = 'anthropic' "
                     "AND usage_date = '2026-11-11'")
    amended = statements.issue("growth", NOVEMBER, as_of=AS_OF + timedelta(days=2), lookback_days=2, dest=dest)
    assert amended.outcome == "amended" and amended.version == 2 and amended.changes == 2
    assert Decimal(amended.totals["usd"]) == sql_total(november) != expected
    assert Path(issued.csv).exists() and amended.csv.endswith("statement-growth-2026-11-v2.csv")  # v1 kept
    html = Path(amended.html).read_text()
    assert "Amended statement." in html and "replaces version 1" in html
    assert "10.1000000000000000055511151231257827" in html and "99.5" in html
    body = november.execute("SELECT period, message FROM finops.team_deliveries WHERE kind = 'statement' "
                            "ORDER BY delivery_id").fetchall()
    assert [p for p, _ in body] == ["2026-11 v1", "2026-11 v2"]
    assert body[1][1].startswith("AMENDED statement for team growth, 2026-11, version 2")
    assert "changed: 2026-11-10 openai proj_growthWeb" in body[1][1] and "-> 99.5 usd" in body[1][1]
    assert "0.35 -> none usd" in body[1][1]


def test_a_month_not_collected_or_inside_the_lookback_is_not_settled(teams, tmp_path):
    dest = statements.destination(str(tmp_path))
    add_costs(teams, "search", NOVEMBER, date(2026, 12, 1), lambda d: Decimal(2))
    collected(teams, "search", NOVEMBER, date(2026, 11, 30))  # the 30th was never collected successfully
    assert statements.issue("search", NOVEMBER, as_of=AS_OF, lookback_days=2, dest=dest).outcome == "not_settled"
    collected(teams, "search", date(2026, 11, 28), date(2026, 12, 1))
    assert statements.issue("search", NOVEMBER, as_of=date(2026, 12, 2), lookback_days=2,
                            dest=dest).outcome == "not_settled"  # the 30th is still in the look-back
    assert statements.issue("search", NOVEMBER, as_of=date(2026, 12, 3), lookback_days=2,
                            dest=dest).outcome == "issued"
    assert statements.issue("quiet", NOVEMBER, as_of=AS_OF, lookback_days=2, dest=dest).outcome == "no_spend"
    assert statements.settled_months(date(2026, 12, 3), 2) == [date(2026, 10, 1), NOVEMBER]
    assert statements.settled_months(date(2026, 12, 2), 2) == [date(2026, 9, 1), date(2026, 10, 1)]


# -- digests and delivery ------------------------------------------------------------------------------------

@pytest.fixture
def hooks(monkeypatch):
    """The growth team's own webhook connection, pointed at a real local receiver, and an SMTP sink."""
    from alert_receivers import SmtpSink, WebhookReceiver

    receiver = WebhookReceiver().start()
    sink = SmtpSink().start()
    monkeypatch.setenv("AIRFLOW_CONN_GROWTH_HOOK", json.dumps({"conn_type": "http", "host": receiver.url}))
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps(sink.connection()))
    yield receiver, sink
    receiver.stop()
    sink.stop()


def test_digests_once_per_team_and_week_and_a_failed_delivery_is_delivered_later(november, cli, hooks):
    receiver, sink = hooks
    assert cli("channels", "set", "growth", "--webhook-conn", "growth_hook", "--email", "lead@example.com")[0] == 0
    november.execute("INSERT INTO finops.alerts (kind, team_id, message, created_at) VALUES "
                     "('spend_anomaly', 'growth', 'Team growth spent a lot on 2026-12-03.', '2026-12-03T10:00Z')")
    november.execute("INSERT INTO finops.projects (team_id, project_id, name, created_by) "
                     "VALUES ('growth', 'proj_growthWeb', 'Web shop', 't')")
    run_after = datetime(2026, 12, 7, 6, tzinfo=UTC)

    composed = tasks.compose_digests({}, run_after)
    assert composed["recorded"] == ["growth"]  # search and quiet have no spend: no digest
    receiver.fail_next(1)
    with pytest.raises(Exception, match="still pending"):
        tasks.deliver({})
    assert receiver.received == [] and len(sink.messages) == 1  # e-mail went out, the webhook failed
    pending = november.execute("SELECT channels, delivered_at, delivery_errors FROM finops.team_deliveries").fetchone()
    assert pending[0] == ["team-email"] and pending[1] is None and "answered HTTP 500" in pending[2]

    assert tasks.deliver({})["delivered"]  # the retry: only the webhook
    assert len(sink.messages) == 1 and len(receiver.received) == 1
    body = receiver.received[0]
    assert body["kind"] == "team_digest" and body["team_id"] == "growth" and body["period"] == "2026-W50"
    assert body["link"].endswith("/finops/overview/teams/growth")
    # Nov 28 - Dec 4 against Nov 21 - 27, exact, from cost_data.
    from finops.money import exact_sum

    current = november.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = 'growth' "
                               "AND usage_date >= '2026-11-28' AND usage_date < '2026-12-05'").fetchone()[0]
    assert Decimal(body["current"]["usd"]) == current == exact_sum(
        [Decimal(f"{d}.1000000000000000055511151231257827") for d in (28, 29, 30)] + [Decimal("0.35")] * 3 + [Decimal(1)] * 4)
    assert body["alerts"] == 1 and "Team growth spent a lot" in body["text"]
    assert body["text"].startswith("Team Growth (growth), weekly digest 2026-W50")  # by name, with its id
    assert "proj_growthWeb" not in body["text"] or "Web shop (proj_growthWeb)" in body["text"]
    assert "settled through 2026-12-04" in body["text"]

    assert cli("channels", "set", "growth", "--slack-conn", "growth_slack_missing")[0] == 0
    november.execute("UPDATE finops.team_deliveries SET delivered_at = NULL, channels = '{team-webhook,team-email}'")
    with pytest.raises(Exception, match="still pending"):  # a connection that does not exist: said, kept pending
        tasks.deliver({})
    error = november.execute("SELECT delivery_errors FROM finops.team_deliveries").fetchone()[0]
    assert error.startswith("team-slack: ") and "growth_slack_missing" in error
    assert cli("channels", "set", "growth", "--slack-conn", "")[0] == 0
    assert tasks.deliver({})["delivered"] and len(receiver.received) == 1 and len(sink.messages) == 1

    again = tasks.compose_digests({}, run_after + timedelta(hours=3))
    assert again["recorded"] == [] and again["already"] == ["growth"]
    tasks.deliver({})
    assert len(receiver.received) == 1 and len(sink.messages) == 1  # a rerun sends nothing new

    # A project that grew is named by its registered name, with its id.
    add_costs(november, "growth", date(2026, 12, 1), date(2026, 12, 3), lambda d: Decimal(50), project="proj_growthWeb",
              line_item="gpt-4o-2024-08-06, output")
    grown = digest.load("growth", run_after.date(), 2)
    assert [i.name for i in grown.increases if i.dimension == "project"] == ["Web shop (proj_growthWeb)"]
    assert "project Web shop (proj_growthWeb) +" in grown.message()


def test_statements_dag_bodies_plan_issue_and_deliver(november, cli, hooks, tmp_path):
    receiver, _ = hooks
    assert cli("channels", "set", "growth", "--webhook-conn", "growth_hook")[0] == 0
    params = {"months": [], "team_id": None, "dest": str(tmp_path)}
    plan = tasks.plan_statements(params, datetime(2026, 12, 7, 7, tzinfo=UTC))
    assert plan == [{"team_id": "growth", "month": "2026-11-01"}]  # October: no spend
    done = tasks.issue_statements(plan, params, datetime(2026, 12, 7, 7, tzinfo=UTC), "manual__1")
    assert [(d["outcome"], d["version"]) for d in done] == [("issued", 1)]
    tasks.deliver(params)
    assert [b["kind"] for b in receiver.received] == ["team_statement"]
    assert receiver.received[0]["csv"] == done[0]["csv"] and receiver.received[0]["amended"] is False
    assert tasks.issue_statements(plan, params, datetime(2026, 12, 8, 7, tzinfo=UTC), "manual__2")[0]["outcome"] \
        == "unchanged"
    tasks.deliver(params)
    assert len(receiver.received) == 1
    assert delivery.deliver_pending().delivered == []


def test_a_restatement_collected_through_the_real_loader_amends_the_statement(db, kms_endpoint, simulator, tmp_path):
    """The simulator's ``org-story`` month collected over HTTP (KMS, client, loader), its statement issued, the spike
    day restated by the simulator and collected again: version 2 lists exactly that day's changed lines."""
    from simulator_fixtures import STORY, STORY_SPIKE

    from finops import collection
    from finops.registry import Registry
    from finops.warehouse.loader import Window

    registry = Registry()
    registry.add_team("story", "cli:test")
    registry.register_key("story", simulator.key(STORY), "cli:test", verify=False)
    for pid in simulator.project_ids(STORY):
        registry.add_project("story", pid, "cli:test", verify=False)
    simulator.restate(STORY, 0)
    march, april = date(2026, 3, 1), date(2026, 4, 1)
    try:
        assert collection.collect_team("story", Window(march, april), dag_run_id="story-1").rows > 0
        dest = statements.destination(str(tmp_path))
        first = statements.issue("story", march, as_of=date(2026, 4, 10), lookback_days=2, dest=dest)
        assert first.outcome == "issued" and Decimal(first.totals["usd"]) == sql_total(db, "story", march, april)
        assert simulator.restate(STORY) == 1
        assert collection.collect_team("story", Window(march, april), dag_run_id="story-2").rows > 0
        amended = statements.issue("story", march, as_of=date(2026, 4, 11), lookback_days=2, dest=dest)
    finally:
        simulator.restate(STORY, 0)
    assert amended.outcome == "amended" and amended.version == 2 and amended.changes > 0
    assert Decimal(amended.totals["usd"]) == sql_total(db, "story", march, april) != Decimal(first.totals["usd"])
    changed_days = {r[0] for r in db.execute(
        "SELECT DISTINCT n.usage_date FROM finops.team_statement_lines n JOIN finops.team_statements s USING "
        "(statement_id) WHERE s.version = 2 AND NOT EXISTS (SELECT 1 FROM finops.team_statement_lines o JOIN "
        "finops.team_statements so USING (statement_id) WHERE so.version = 1 AND (o.provider, o.project_id, o.model, "
        "o.token_kind, o.usage_date, o.currency, o.amount) = (n.provider, n.project_id, n.model, n.token_kind, "
        "n.usage_date, n.currency, n.amount))")}
    assert changed_days == {STORY_SPIKE}
    html = Path(amended.html).read_text()
    assert "Amended statement." in html and html.count(f"<tr><td>{STORY_SPIKE}</td>") == amended.changes
