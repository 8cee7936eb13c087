"""Usage collected with the costs, against the simulator over HTTP and a real PostgreSQL: one atomic replace,
identical reruns, a usage failure fails the team, and the usage agrees with the costs' quantities."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from simulator_fixtures import A_HEALTHY, USAGE, USAGE_DOWN, USAGE_MISMATCH_DAY, USAGE_MISSING_DAY

from finops import collection
from finops.registry import Registry
from finops.warehouse.loader import Window

ACTOR = "cli:test"
WINDOW = Window(date(2026, 3, 1), date(2026, 3, 5))
USAGE_COLUMNS = ("usage_date, project_id, endpoint, api_key_id, model, service_tier, batch, requests, input_tokens, "
                 "cache_read_tokens, cache_write_tokens, output_tokens, quantity, quantity_unit")


@pytest.fixture
def registry(db, kms_endpoint, simulator):
    """``app`` (org-usage, both projects), ``down`` (usage endpoints failing) and ``claude`` (Anthropic)."""
    registry = Registry()
    for team, org in (("app", USAGE), ("down", USAGE_DOWN)):
        registry.add_team(team, ACTOR)
        registry.register_key(team, simulator.key(org), ACTOR, verify=False)
        for pid in simulator.project_ids(org):
            registry.add_project(team, pid, ACTOR, verify=False)
    registry.add_team("claude", ACTOR)
    registry.register_key("claude", simulator.key(A_HEALTHY), ACTOR, verify=False, provider="anthropic")
    for scope in ("wrkspc_healthyChat", "default"):
        registry.add_project("claude", scope, ACTOR, verify=False, provider="anthropic")
    simulator.reset_faults()
    return registry


def usage_rows(db, team: str, provider: str = "openai") -> list[tuple]:
    query = f"SELECT {USAGE_COLUMNS} FROM finops.usage_data WHERE team_id = %s AND provider = %s ORDER BY 1, 2, 3, 4, 5, 6, 7"  # noqa: S608
    return db.execute(query, (team, provider)).fetchall()


def test_usage_is_loaded_with_the_costs_and_a_rerun_leaves_the_same_rows(registry, db):
    first = collection.collect_team("app", WINDOW, dag_run_id="run-1")
    rows = usage_rows(db, "app")
    assert first.rows > 0 and rows
    endpoints = {r[2] for r in rows}
    assert {"completions", "embeddings", "images", "audio_transcriptions", "web_search_calls"} <= endpoints
    assert USAGE_MISSING_DAY not in {r[0] for r in rows}  # the knob's missing day
    run_ids = db.execute("SELECT DISTINCT u.collection_run_id, r.status FROM finops.usage_data u "
                         "JOIN finops.collection_runs r ON r.run_id = u.collection_run_id").fetchall()
    assert run_ids == [(db.execute("SELECT max(run_id) FROM finops.collection_runs").fetchone()[0], "success")]
    # the run's requests count the usage endpoints' (one page each here) and the key lists' (one page per project)
    pages, requests = db.execute("SELECT pages, requests FROM finops.collection_runs").fetchone()
    assert requests == first.requests == pages + 10 + 2

    collection.collect_team("app", WINDOW, dag_run_id="run-2")
    assert usage_rows(db, "app") == rows


def written_by(db, team: str) -> dict:
    """Each usage day of the team: the physical versions of its rows (a rewrite makes new ones) and their run."""
    return {day: (versions, runs) for day, versions, runs in db.execute(
        "SELECT usage_date, array_agg(xmin::text || ctid::text ORDER BY ctid), array_agg(DISTINCT collection_run_id) "
        "FROM finops.usage_data WHERE team_id = %s GROUP BY 1", (team,))}


@pytest.fixture
def decoded(monkeypatch) -> list:
    """The days whose OpenAI buckets a load decodes (finops.usage.load, bucket_rows), in order."""
    from finops.usage import load

    days, real = [], load.bucket_rows
    monkeypatch.setattr(load, "bucket_rows", lambda bucket: days.append(bucket.usage_date) or real(bucket))
    return days


def test_a_rerun_rewrites_only_the_days_whose_usage_changed(registry, db, decoded):
    first = collection.collect_team("app", WINDOW, dag_run_id="run-1")
    assert set(dict(db.execute("SELECT usage_date, 1 FROM finops.usage_data WHERE team_id = 'app'"))) <= \
        set(decoded)  # the first load decodes every day
    decoded.clear()
    rows, before = usage_rows(db, "app"), written_by(db, "app")
    days = db.execute("SELECT usage_date, rows, collection_run_id FROM finops.usage_days WHERE team_id = 'app' "
                      "ORDER BY 1").fetchall()
    per_day = dict(db.execute("SELECT usage_date, count(*) FROM finops.usage_data WHERE team_id = 'app' GROUP BY 1"))
    assert [d for d, _, _ in days] == [WINDOW.start + timedelta(days=n) for n in range(WINDOW.days)]
    assert {d: n for d, n, _ in days if n} == per_day and per_day  # the missing usage day is recorded with 0 rows
    first_run = db.execute("SELECT max(run_id) FROM finops.collection_runs").fetchone()[0]
    assert {run for _, _, run in days} == {first_run}

    collection.collect_team("app", WINDOW, dag_run_id="run-2")  # the same usage: no day is rewritten, or decoded
    assert usage_rows(db, "app") == rows and written_by(db, "app") == before
    assert first.rows > 0 and decoded == []

    # a fix by hand forgets its day (trigger): the next run writes that day again from the API, and only that day
    fixed = min(per_day)
    db.execute("UPDATE finops.usage_data SET input_tokens = input_tokens + 1 WHERE team_id = 'app' AND usage_date = %s "
               "AND endpoint = 'completions'", (fixed,))
    db.execute("DELETE FROM finops.usage_data WHERE team_id = 'app' AND usage_date = %s", (max(per_day),))
    assert db.execute("SELECT array_agg(usage_date ORDER BY usage_date) FROM finops.usage_days "
                      "WHERE team_id = 'app'").fetchone()[0] == [d for d, _, _ in days if d not in (fixed, max(per_day))]
    touched = written_by(db, "app")
    collection.collect_team("app", WINDOW, dag_run_id="run-3")
    assert usage_rows(db, "app") == rows and set(decoded) == {fixed, max(per_day)}  # only the forgotten days
    after = written_by(db, "app")
    third_run = db.execute("SELECT max(run_id) FROM finops.collection_runs").fetchone()[0]
    assert {d: v for d, v in after.items() if d not in (fixed, max(per_day))} == \
        {d: v for d, v in touched.items() if d not in (fixed, max(per_day))}
    assert after[fixed][1] == after[max(per_day)][1] == [third_run] and after[fixed][0] != touched[fixed][0]

    db.execute("TRUNCATE finops.usage_data")  # a restore, a purge: every day is forgotten, the next run loads all
    assert db.execute("SELECT count(*) FROM finops.usage_days").fetchone()[0] == 0
    collection.collect_team("app", WINDOW, dag_run_id="run-4")
    assert usage_rows(db, "app") == rows


def test_a_day_changed_after_the_read_ahead_is_still_written(registry, db, decoded):
    """The side requests decode only the days the read ahead (finops.usage.load.stored_days) does not hold as they
    come back; a day changed between that read and the load is decoded and written in the load's transaction."""
    collection.collect_team("app", WINDOW, dag_run_id="run-1")
    rows, day = usage_rows(db, "app"), WINDOW.start
    decoded.clear()
    client = registry.client("openai")
    begun = collection.start_team("app", WINDOW, registry=registry, client=client)  # reads ahead: all unchanged
    db.execute("UPDATE finops.usage_data SET output_tokens = output_tokens + 1 WHERE team_id = 'app' "
               "AND usage_date = %s", (day,))  # a fix by hand meanwhile: the trigger forgets the day
    collection.collect_team("app", WINDOW, dag_run_id="run-2", registry=registry, client=client, begun=begun)
    assert usage_rows(db, "app") == rows and set(decoded) == {day}


def test_openai_cost_quantities_equal_the_usage_tokens_except_on_the_mismatch_day(registry, db):
    collection.collect_team("app", WINDOW, dag_run_id="run-1")
    costs = dict(((d, p, m, k), q) for d, p, m, k, q in db.execute(
        "SELECT c.usage_date, c.project_id, li.model, li.token_kind, sum(c.quantity) FROM finops.cost_data c "
        "JOIN finops.line_items li ON li.provider = c.provider AND li.line_item = c.line_item "
        "WHERE c.team_id = 'app' AND li.cost_kind = 'tokens' AND li.model LIKE 'gpt-4o%%' GROUP BY 1, 2, 3, 4"))
    usage = {}
    for d, p, m, inp, cached, out in db.execute(
            "SELECT usage_date, project_id, model, sum(input_tokens), sum(cache_read_tokens), sum(output_tokens) "
            "FROM finops.usage_data WHERE team_id = 'app' AND endpoint = 'completions' GROUP BY 1, 2, 3"):
        for kind, value in (("input", inp), ("cached input", cached), ("output", out)):
            if value:
                usage[(d, p, m, kind)] = value
    ordinary = {k: v for k, v in costs.items() if k[0] not in (USAGE_MISSING_DAY, USAGE_MISMATCH_DAY)}
    assert ordinary and all(usage[k] == v for k, v in ordinary.items())
    assert any(usage.get(k) != v for k, v in costs.items() if k[0] == USAGE_MISMATCH_DAY)
    assert any(k[3] == "cached input" for k in ordinary)


def test_web_search_calls_equal_the_calls_the_costs_bill(registry, db):
    collection.collect_team("app", WINDOW, dag_run_id="run-1")
    billed = dict(((d, p), q) for d, p, q in db.execute(
        "SELECT usage_date, project_id, sum(quantity) FROM finops.cost_data WHERE team_id = 'app' "
        "AND line_item = 'web search tool calls' GROUP BY 1, 2"))
    used = dict(((d, p), (q, unit, requests)) for d, p, q, unit, requests in db.execute(
        "SELECT usage_date, project_id, sum(quantity), min(quantity_unit), sum(requests) FROM finops.usage_data "
        "WHERE team_id = 'app' AND endpoint = 'web_search_calls' GROUP BY 1, 2"))
    expected = {k: v for k, v in billed.items() if k[0] != USAGE_MISSING_DAY}
    assert expected and {k: v[0] for k, v in used.items()} == expected
    # the model requests that called the tool are the completions endpoint's: not counted twice
    assert all(unit == "calls" and requests is None for _q, unit, requests in used.values())


def test_a_usage_failure_fails_the_team_and_leaves_its_previous_rows(registry, db, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_USAGE_ENDPOINTS", "none")
    collection.collect_team("down", WINDOW, dag_run_id="run-1")  # usage off: the costs load
    before = db.execute("SELECT count(*), sum(amount) FROM finops.cost_data WHERE team_id = 'down'").fetchone()
    assert before[0] > 0 and usage_rows(db, "down") == []
    monkeypatch.delenv("AIRFLOW_VAR_FINOPS_USAGE_ENDPOINTS")
    with pytest.raises(Exception, match="HTTP 500"):
        collection.collect_team("down", WINDOW, dag_run_id="run-2")
    assert db.execute("SELECT count(*), sum(amount) FROM finops.cost_data WHERE team_id = 'down'").fetchone() == before
    status, error = db.execute("SELECT status, error FROM finops.collection_runs WHERE dag_run_id = 'run-2'").fetchone()
    assert status == "failed" and "usage" in error


def test_a_failed_usage_load_keeps_the_previous_usage_and_costs(registry, db, monkeypatch):
    collection.collect_team("app", WINDOW, dag_run_id="run-1")
    rows = usage_rows(db, "app")
    costs = db.execute("SELECT count(*), sum(amount) FROM finops.cost_data WHERE team_id = 'app'").fetchone()
    from finops.usage import load

    def broken(self, conn, params, run_id):
        conn.execute("DELETE FROM finops.usage_data WHERE team_id = %(team_id)s", params)
        raise load.DuplicateUsageRow("The openai usage API returned the same row twice.")

    monkeypatch.setattr(load.UsageLoad, "load", broken)
    with pytest.raises(load.DuplicateUsageRow):
        collection.collect_team("app", WINDOW, dag_run_id="run-2")
    assert usage_rows(db, "app") == rows
    assert db.execute("SELECT count(*), sum(amount) FROM finops.cost_data WHERE team_id = 'app'").fetchone() == costs


def test_the_endpoints_variable_limits_the_calls(registry, db, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_USAGE_ENDPOINTS", "completions,images")
    collection.collect_team("app", WINDOW, dag_run_id="run-1")
    assert {r[2] for r in usage_rows(db, "app")} == {"completions", "images"}


def test_anthropic_usage_keeps_the_registered_workspaces_with_cache_writes_apart(registry, db):
    collection.collect_team("claude", WINDOW, dag_run_id="run-1", provider="anthropic")
    rows = db.execute("SELECT project_id, sum(cache_write_tokens), sum(cache_write_5m_tokens), "
                      "sum(cache_write_1h_tokens), count(requests) FROM finops.usage_data "
                      "WHERE team_id = 'claude' GROUP BY 1 ORDER BY 1").fetchall()
    assert {r[0] for r in rows} <= {"default", "wrkspc_healthyChat"} and rows
    assert all(r[1] == r[2] + r[3] and r[4] == 0 for r in rows)  # writes split; Anthropic reports no requests
    tokens = dict(db.execute(
        "SELECT model, sum(input_tokens + cache_read_tokens + cache_write_tokens + output_tokens) "
        "FROM finops.usage_data WHERE team_id = 'claude' GROUP BY 1").fetchall())
    costs = db.execute("SELECT model, count(*) FROM finops.cost_data WHERE team_id = 'claude' AND model IS NOT NULL "
                       "GROUP BY 1").fetchall()
    assert {m for m, _ in costs} == set(tokens)


SUMS = ("SELECT provider, team_id, usage_date, project_id, model, rows, CASE WHEN request_rows > 0 THEN requests END, "
        "input_tokens, cache_read_tokens, cache_write_tokens, cache_write_5m_tokens, cache_write_1h_tokens, "
        "output_tokens FROM finops.usage_project_daily ORDER BY 1, 2, 3, 4, 5")
SUMMED = ("SELECT provider, team_id, usage_date, project_id, model, count(*), sum(requests), sum(input_tokens), "
          "sum(cache_read_tokens), sum(cache_write_tokens), COALESCE(sum(cache_write_5m_tokens), 0), "
          "COALESCE(sum(cache_write_1h_tokens), 0), sum(output_tokens) FROM finops.usage_data "
          "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5")


def test_the_usage_sums_follow_every_change_of_the_usage_rows(registry, db):
    """finops.usage_project_daily (migration 0026; what the reconciliation and the usage rollup read) equals
    usage_data summed per team, day, project and model after loads, reruns and changes by hand."""
    from finops.analytics import rollups

    collection.collect_team("app", WINDOW, dag_run_id="run-1")
    collection.collect_team("claude", WINDOW, dag_run_id="run-1", provider="anthropic")
    summed = db.execute(SUMMED).fetchall()
    assert db.execute(SUMS).fetchall() == summed and {r[0] for r in summed} == {"openai", "anthropic"}
    assert any(r[6] is None for r in summed) and any(r[4] is None for r in summed)  # tool calls: no requests, model
    collection.collect_team("app", WINDOW, dag_run_id="run-2")
    assert db.execute(SUMS).fetchall() == summed

    day = min(r[2] for r in summed)
    db.execute("UPDATE finops.usage_data SET input_tokens = input_tokens + 7, requests = NULL "
               "WHERE team_id = 'app' AND usage_date = %s AND endpoint = 'completions'", (day,))
    db.execute("UPDATE finops.usage_data SET project_id = 'moved by hand' WHERE team_id = 'app' AND usage_date = %s "
               "AND endpoint = 'embeddings'", (day,))  # a group emptied, a new one made
    db.execute("DELETE FROM finops.usage_data WHERE team_id = 'claude' AND usage_date = %s", (day,))
    changed = db.execute(SUMMED).fetchall()
    assert changed != summed and db.execute(SUMS).fetchall() == changed
    assert not db.execute("SELECT 1 FROM finops.usage_project_daily WHERE rows <= 0").fetchall()

    collection.collect_team("app", WINDOW, dag_run_id="run-3")  # the days changed by hand are loaded again
    collection.collect_team("claude", WINDOW, dag_run_id="run-3", provider="anthropic")
    assert db.execute(SUMMED).fetchall() == db.execute(SUMS).fetchall() == summed

    db.execute("DELETE FROM finops.usage_project_daily WHERE team_id = 'app'")  # a restore without triggers
    rollups.rebuild_usage_sums(db)
    assert db.execute(SUMS).fetchall() == summed
    db.execute("TRUNCATE finops.usage_data")
    assert db.execute(SUMS).fetchall() == []


@pytest.mark.parametrize("in_flight", [1, 4])
def test_the_usage_rows_are_formatted_in_a_helper_thread_not_the_team_thread(registry, db, monkeypatch, in_flight):
    """The usage spool (formatting and digests, finops.usage.load) runs in the side requests' helper thread once the
    usage is fetched, so the team thread's turn does not spend its time on it; the loader's own call finds it done."""
    import threading

    from finops.usage import load

    threads = []

    def recorded(line, rows):
        threads.append(threading.current_thread().name)
        return format_csv_rows(line, rows)

    format_csv_rows = load.format_csv_rows
    monkeypatch.setattr(load, "format_csv_rows", recorded)
    collection.collect_team("app", WINDOW, dag_run_id="run-1", requests_in_flight=in_flight)
    assert usage_rows(db, "app")
    assert threads and all(name.startswith("team-requests") for name in threads), threads
    days = db.execute("SELECT count(*) FROM finops.usage_days WHERE team_id = 'app'").fetchone()[0]
    assert len(threads) <= (WINDOW.end - WINDOW.start).days == days  # each day once: not formatted again


KEYS = "SELECT provider, team_id, api_key_id, project_id, name, redacted_value, owner_type, owner_id, owner_name, status " \
       "FROM finops.api_keys ORDER BY 1, 2, 3"


def test_requests_side_by_side_load_what_one_after_the_other_loads(registry, db):
    # finops_team_requests_in_flight > 1: the same rows and request counts; a failing endpoint still fails the team.
    sequential = collection.collect_team("app", WINDOW, dag_run_id="run-1")
    rows, keys = usage_rows(db, "app"), db.execute(KEYS).fetchall()
    side = collection.collect_team("app", WINDOW, dag_run_id="run-2", requests_in_flight=4)
    assert usage_rows(db, "app") == rows and side.requests == sequential.requests and side.rows == sequential.rows
    assert db.execute(KEYS).fetchall() == keys
    with pytest.raises(Exception, match="HTTP 500"):
        collection.collect_team("down", WINDOW, dag_run_id="run-3", requests_in_flight=4)
    assert db.execute("SELECT count(*) FROM finops.cost_data WHERE team_id = 'down'").fetchone()[0] == 0
