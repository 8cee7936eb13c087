"""The benchmark's command line and table: parsing and formatting only (no services, no timings)."""

from __future__ import annotations

import pytest

from finops.bench import CASES, Measurement, format_table, parse_args


def test_defaults_run_every_case_but_the_opt_in_ones_at_the_small_scales():
    args = parse_args([])
    assert args.case == [c for c in CASES if c not in ("scheduler", "alerts", "analytics", "anthropic", "alerts_dag",
                                                       "usage_days", "page_read")]
    assert parse_args(["--case", "alerts"]).alert_teams == 200
    assert parse_args(["--case", "scheduler"]).backfill_create_days == 30
    assert args.rows == 1_000_000
    assert args.teams == [10, 100]
    assert args.latency_ms == 100
    assert args.table_sizes == [100_000, 1_000_000]
    assert not args.day_after_day and parse_args(["--case", "daily", "--day-after-day"]).day_after_day


def test_cases_and_lists_are_parsed_from_commas():
    args = parse_args(["--case", "load,parse", "--teams", "10,100,1000", "--rows", "5000",
                       "--table-sizes", "100000,10000000", "--latency-ms", "0"])
    assert args.case == ["load", "parse"]
    assert args.teams == [10, 100, 1000]
    assert args.rows == 5000
    assert args.table_sizes == [100_000, 10_000_000]
    assert args.latency_ms == 0


@pytest.mark.parametrize("argv", [["--case", "load,nope"], ["--teams", "10,x"], ["--teams", "0"], ["--rows", "-1"],
                                  ["--latency-ms", "-5"], ["--backfill-create-days", "0"]])
def test_bad_arguments_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        parse_args(argv)
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


def test_the_anthropic_case_is_registered_opt_in_and_takes_its_team_count():
    from finops.bench import anthropic

    assert "anthropic" in CASES and "anthropic" not in parse_args([]).case
    args = parse_args(["--case", "anthropic", "--anthropic-teams", "20", "--backfill-days", "90"])
    assert (args.case, args.anthropic_teams, args.backfill_days) == (["anthropic"], 20, 90)
    assert parse_args(["--case", "anthropic"]).anthropic_teams == 100
    assert callable(anthropic.case_anthropic)
    with pytest.raises(SystemExit):
        parse_args(["--case", "anthropic", "--anthropic-teams", "0"])


def test_the_alerts_dag_case_is_registered_opt_in_with_its_team_count():
    from finops.bench import alerts_dag

    assert "alerts_dag" in CASES and "alerts_dag" not in parse_args([]).case
    args = parse_args(["--case", "alerts_dag"])
    assert (args.alert_dag_teams, args.alert_dag_dags_test) == (1000, False)
    args = parse_args(["--case", "alerts_dag", "--alert-dag-teams", "50", "--alert-dag-dags-test"])
    assert (args.alert_dag_teams, args.alert_dag_dags_test) == (50, True)
    assert callable(alerts_dag.case_alerts_dag)


def test_bench_organizations_give_each_anthropic_team_its_workspaces_and_key():
    from finops.bench.env import simulator_config, workspace_ids

    config, keys, anthropic_keys = simulator_config(3, 0, anthropic_teams=2)
    assert len(config.organizations) == 3 and len(config.anthropic_organizations) == 2
    assert set(anthropic_keys) == {"bench0000", "bench0001"} and not set(anthropic_keys.values()) & set(keys.values())
    org = config.anthropic_organizations[1]
    assert [w.id for w in org.workspaces] + ["default"] == workspace_ids(1) and org.default_workspace


def test_table_has_one_aligned_line_per_measurement():
    rows = [
        Measurement("load: parse + loader (rows/s)", "63,414 (1.6 s)", "bare COPY 136,573 (0.7 s)", 0.4643,
                    ">= 0.50 of COPY", "MISSED"),
        Measurement("parse: DagBag of the file (warm)", "8 ms"),
    ]
    lines = format_table(rows).splitlines()
    assert [c.strip() for c in lines[0].split("|")[1:-1]] == ["case", "measured", "limit", "ratio", "target", "verdict"]
    assert set(lines[1]) == {"|", "-"}
    assert len(lines) == 4 and len({len(line) for line in lines}) == 1
    assert "| 0.46  |" in lines[2]
    cells = [c.strip() for c in lines[3].split("|")[1:-1]]
    assert cells == ["parse: DagBag of the file (warm)", "8 ms", "-", "-", "-", "info"]
