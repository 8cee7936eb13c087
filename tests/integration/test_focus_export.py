"""FOCUS 1.2 export against the real PostgreSQL: files read back by another reader than the writer
(pyarrow reads PostgreSQL's CSV, DuckDB reads pyarrow's Parquet) and compared with SQL over cost_data;
object storage through moto's S3 server over HTTP; atomic replacement, a killed export, broken rules
and one-sentence errors."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from finops import paths
from finops.cli import main
from finops.export import check_published, export_month
from finops.export.errors import NotConformant

ROOT = Path(__file__).resolve().parents[2]
MONTH = "2026-10"
TODAY = date(2026, 11, 30)
UNITS = {"tokens": ("Tokens", "Tokens", 1), "1000_tokens": ("1000 Tokens", "Tokens", 1000), "images": ("Images", "Images", 1),
         "duration_seconds": ("Seconds", "Seconds", 1), "web_search_calls": ("Web Search Calls", "Web Search Calls", 1)}
OPENAI_ITEMS = [("gpt-4o-2024-08-06, input", "tokens"), ("gpt-4o-2024-08-06, output", "tokens"),
                ("text-embedding-3-small", "1000_tokens"), ("dall-e-3", "images"), ("whisper-1", "duration_seconds"),
                ("web search tool calls", "web_search_calls"), ("Vector storage", None)]
ANTHROPIC_ITEMS = ["Claude Sonnet 4 Usage - Input Tokens", "Claude Sonnet 4 Usage - Output Tokens", "Code Execution Usage"]


# -- data ---------------------------------------------------------------------------------------------
def add_team(db, team: str, name: str) -> None:
    db.execute(paths.sql("registry/team_insert"), {"team_id": team, "name": name, "actor": "test"})


def add_project(db, team: str, provider: str, project: str, name: str | None) -> None:
    db.execute("INSERT INTO finops.projects (team_id, provider, project_id, name, created_by) VALUES (%s, %s, %s, %s, 'test')",
               (team, provider, project, name))


def insert_costs(db, rows: list[tuple]) -> None:
    with db.cursor().copy("COPY finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, amount, "
                          "quantity, quantity_unit, organization_id, collected_at) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


@pytest.fixture
def month_data(db):
    """October 2026 for two OpenAI teams and an Anthropic one, plus a day on each side that must stay out."""
    add_team(db, "growth", "Growth team")
    add_team(db, "search", "Search")
    add_team(db, "research", "Research")
    add_project(db, "growth", "openai", "proj_web", "Web")
    add_project(db, "growth", "openai", "proj_api", None)  # no name registered: the id stands in
    add_project(db, "search", "openai", "proj_search", "Search engine")
    add_project(db, "research", "anthropic", "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ", "Claude lab")
    collected = datetime(2026, 11, 2, 3, 4, 5).astimezone()
    rows, n = [], 0
    days = [date(2026, 9, 30)] + [date(2026, 10, 1) + timedelta(days=i) for i in range(31)] + [date(2026, 11, 1)]
    for day in days:
        for team, projects in (("growth", ["proj_web", "proj_api", "unassigned"]), ("search", ["proj_search"])):
            for project in projects:
                for item, unit in OPENAI_ITEMS:
                    n += 1
                    amount = Decimal(f"{n % 97}.{(n * 104729) % 10**17:017d}")  # float noise: 17 decimals
                    quantity = None if unit is None else Decimal(n * 37 % 500000)
                    org = None if team == "search" and n % 2 else f"org-{team}"
                    rows.append(("openai", team, day, project, item, "usd", amount, quantity, unit, org, collected))
        for workspace in ("wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ", "default"):
            for item in ANTHROPIC_ITEMS:
                n += 1
                rows.append(("anthropic", "research", day, workspace, item, "usd", Decimal(f"{n % 13}.{n * 7 % 10**7:07d}"),
                             None, None, None, collected))
    # Amounts a float repr gives: tiny, 23 decimals; and a credit.
    rows.append(("openai", "growth", date(2026, 10, 15), "proj_web", "evals | gpt-4o-mini, input", "usd",
                 Decimal("1.2345678901234567E-7"), Decimal(3), "tokens", "org-growth", collected))
    rows.append(("openai", "growth", date(2026, 10, 16), "proj_web", "credit adjustment", "usd", Decimal("-2.5"),
                 None, None, "org-growth", collected))
    insert_costs(db, rows)
    return db


def warehouse(db, provider: str, month: str = MONTH) -> dict[tuple, tuple]:
    """cost_data of the month, keyed as the file's rows are: what every exported row must equal."""
    first = date.fromisoformat(month + "-01")
    rows = db.execute(
        """SELECT c.provider, c.team_id, c.usage_date, c.project_id, c.line_item, c.currency, c.amount, c.quantity,
                  c.quantity_unit, c.organization_id, t.name, p.name
           FROM finops.cost_data c JOIN finops.teams t USING (team_id)
           LEFT JOIN finops.projects p ON p.team_id = c.team_id AND p.provider = c.provider AND p.project_id = c.project_id
           WHERE c.provider = %s AND c.usage_date >= %s AND c.usage_date < (%s::date + interval '1 month')""",
        (provider, first, first)).fetchall()
    return {(r[0], r[1], r[2].isoformat(), r[3], r[4], r[5].upper()): r[6:] for r in rows}


def month_sum(db, provider: str, month: str = MONTH) -> tuple[Decimal, int]:
    first = date.fromisoformat(month + "-01")
    return tuple(db.execute(
        "SELECT sum(amount), count(*) FROM finops.cost_data WHERE provider = %s AND usage_date >= %s "
        "AND usage_date < (%s::date + interval '1 month')", (provider, first, first)).fetchone())


def read_csv(path: Path) -> list[dict]:
    """pyarrow reads PostgreSQL's CSV: every column as text, empty unquoted field = null, "" stays ""."""
    header = path.open().readline().strip().split(",")
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True, quoted_strings_can_be_null=False))
    return table.to_pylist()


def read_parquet(path: Path) -> list[dict]:
    """DuckDB reads pyarrow's Parquet (decimals come back as Decimal, timestamps as aware datetimes)."""
    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    cursor = conn.execute("SELECT * FROM read_parquet(?)", [str(path)])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def text(value) -> str | None:
    """A value read back, as FOCUS text (DuckDB's datetimes and Decimals formatted)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value if value is None or isinstance(value, str) else str(value)


def assert_rows_equal_warehouse(rows: list[dict], expected: dict[tuple, tuple], provider: str) -> None:
    by_key = {(r["x_Provider"], r["x_TeamId"], text(r["ChargePeriodStart"])[:10], r["x_ProjectId"], r["x_LineItem"],
               r["BillingCurrency"]): r for r in rows}
    assert len(by_key) == len(rows) == len(expected)
    assert set(by_key) == set(expected)
    for key, (amount, quantity, unit, org, team_name, project_name) in expected.items():
        row = by_key[key]
        _, team, day, project, item, currency = key
        for cost in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
            assert Decimal(str(row[cost])) == amount, (key, cost, row[cost], amount)
        assert text(row["ChargePeriodStart"]) == f"{day}T00:00:00Z"
        assert text(row["ChargePeriodEnd"]) == f"{date.fromisoformat(day) + timedelta(days=1)}T00:00:00Z"
        assert (text(row["BillingPeriodStart"]), text(row["BillingPeriodEnd"])) == ("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z")
        assert row["BillingCurrency"] == "USD" and row["ChargeCategory"] == "Usage" and row["ChargeClass"] is None
        assert row["ChargeFrequency"] == "Usage-Based" and row["ServiceCategory"] == "AI and Machine Learning"
        assert row["ServiceSubcategory"] == "Generative AI"
        assert row["ChargeDescription"] == row["SkuId"] == row["SkuPriceId"] == item
        assert json.loads(row["Tags"]) == {"team": team} and row["x_TeamName"] == team_name
        assert row["BillingAccountId"] == (org or f"team:{team}") and row["x_OrganizationId"] == org
        if quantity is None or unit is None:
            assert [row[c] for c in ("PricingQuantity", "PricingUnit", "ConsumedQuantity", "ConsumedUnit")] == [None] * 4
        else:
            pricing_unit, consumed_unit, factor = UNITS[unit]
            assert Decimal(str(row["PricingQuantity"])) == quantity and row["PricingUnit"] == pricing_unit
            assert Decimal(str(row["ConsumedQuantity"])) == quantity * factor and row["ConsumedUnit"] == consumed_unit
        assert row["x_QuantityUnit"] == unit
        if provider == "openai":
            assert (row["ProviderName"], row["PublisherName"], row["InvoiceIssuerName"], row["ServiceName"]) == (
                "OpenAI", "OpenAI", "OpenAI", "OpenAI API")
            if project == "unassigned":
                assert (row["SubAccountId"], row["SubAccountName"], row["SubAccountType"]) == (None, None, None)
            else:
                assert (row["SubAccountId"], row["SubAccountName"], row["SubAccountType"]) == (
                    project, project_name or project, "Project")
        else:
            assert (row["ProviderName"], row["ServiceName"]) == ("Anthropic", "Claude API")
            assert (row["SubAccountId"], row["SubAccountType"]) == (project, "Workspace")
            assert row["SubAccountName"] == (project_name or "Default workspace")


def partition_dir(root: Path, provider: str, month: str = MONTH) -> Path:
    return root / f"billing_period={month}" / f"provider={provider}"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- local folder, both formats ---------------------------------------------------------------------------
def test_csv_export_read_by_pyarrow_equals_cost_data(month_data, tmp_path):
    results = export_month(MONTH, today=TODAY, dest=str(tmp_path))
    assert [r.provider for r in results] == ["anthropic", "openai"]
    for provider in ("openai", "anthropic"):
        folder = partition_dir(tmp_path, provider)
        assert sorted(p.name for p in folder.iterdir()) == [f"focus-{MONTH}-{provider}.csv",
                                                            f"focus-{MONTH}-{provider}.metadata.json"]
        data = folder / f"focus-{MONTH}-{provider}.csv"
        rows = read_csv(data)
        assert_rows_equal_warehouse(rows, warehouse(month_data, provider), provider)
        total, count = month_sum(month_data, provider)
        assert sum(Decimal(r["BilledCost"]) for r in rows) == total and len(rows) == count
        meta = json.loads((folder / f"focus-{MONTH}-{provider}.metadata.json").read_text())
        assert meta["FocusVersion"] == "1.2" and meta["DataGenerator"]["DataGenerator"] == "finops-airflow"
        assert meta["Dataset"]["Sha256"] == sha256(data) and meta["Dataset"]["Rows"] == count
        assert meta["Dataset"]["BilledCostTotals"] == {f"{MONTH} {provider} USD": format(total.normalize(), "f")}
        definitions = meta["Schemas"][0]["ColumnDefinition"]
        assert [d["ColumnName"] for d in definitions] == list(rows[0])
        assert {d["ColumnName"] for d in definitions if d["ColumnType"] == "Custom"} == {n for n in rows[0] if n.startswith("x_")}
        assert meta["Conformance"]["Verdict"] == "PASSED" and meta["Conformance"]["Violations"] == []
    # Forced deviations are counted against SQL, not hidden.
    no_quantity = month_data.execute(
        "SELECT count(*) FROM finops.cost_data WHERE provider = 'openai' AND usage_date BETWEEN %s AND %s "
        "AND (quantity IS NULL OR quantity_unit IS NULL)", (date(2026, 10, 1), date(2026, 10, 31))).fetchone()[0]
    openai = next(r for r in results if r.provider == "openai")
    assert {d.rule: d.count for d in openai.report.deviations}["PricingQuantityMissing"] == no_quantity > 0


def test_parquet_export_read_by_duckdb_equals_cost_data(month_data, tmp_path):
    export_month(MONTH, today=TODAY, dest=str(tmp_path), fmt="parquet")
    for provider in ("openai", "anthropic"):
        data = partition_dir(tmp_path, provider) / f"focus-{MONTH}-{provider}.parquet"
        rows = read_parquet(data)
        assert_rows_equal_warehouse(rows, warehouse(month_data, provider), provider)
        total, count = month_sum(month_data, provider)
        found = duckdb.execute("SELECT sum(BilledCost), count(*), typeof(BilledCost) FROM read_parquet(?) GROUP BY 3",
                               [str(data)]).fetchone()
        assert (found[0], found[1], found[2]) == (total, count, "DECIMAL(38,24)")
    tiny = next(r for r in read_parquet(partition_dir(tmp_path, "openai") / f"focus-{MONTH}-openai.parquet")
                if r["x_LineItem"] == "evals | gpt-4o-mini, input")
    assert tiny["BilledCost"] == Decimal("0.00000012345678901234567")
    # Hive-style readers see the layout's partitions as columns.
    by_partition = duckdb.execute("SELECT provider, billing_period, count(*) FROM read_parquet(?, hive_partitioning = true) "
                                  "GROUP BY ALL ORDER BY 1", [f"{tmp_path}/**/*.parquet"]).fetchall()
    assert by_partition == [("anthropic", MONTH, month_sum(month_data, "anthropic")[1]),
                            ("openai", MONTH, month_sum(month_data, "openai")[1])]


def test_one_provider_only_and_the_check_command(month_data, tmp_path, capsys):
    assert main(["export", "focus", "--month", MONTH, "--provider", "anthropic", "--format", "parquet",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "FOCUS 1.2 check of" in out and "PASSED" in out and "Wrote " in out
    assert "deviation PricingQuantityMissing" in out  # the cost report has no quantities: counted, said
    assert not (tmp_path / f"billing_period={MONTH}" / "provider=openai").exists()
    assert main(["export", "focus", "--check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    total, _ = month_sum(month_data, "anthropic")
    assert f"BilledCost {MONTH} anthropic USD: file {format(total.normalize(), 'f')} = cost_data" in out
    assert out.strip().endswith("1 FOCUS file(s) checked under " + str(tmp_path) + ": PASSED.")


# -- replacing, failing, killing ------------------------------------------------------------------------
def test_reexport_replaces_the_month_atomically_and_a_format_switch_leaves_one_file(month_data, tmp_path):
    export_month(MONTH, today=TODAY, provider="openai", dest=str(tmp_path))
    folder = partition_dir(tmp_path, "openai")
    data = folder / f"focus-{MONTH}-openai.csv"
    before_inode = data.stat().st_ino
    month_data.execute("UPDATE finops.cost_data SET amount = amount + 1 WHERE provider = 'openai' AND team_id = 'search' "
                       "AND usage_date = %s", (date(2026, 10, 5),))
    export_month(MONTH, today=TODAY, provider="openai", dest=str(tmp_path))
    assert data.stat().st_ino != before_inode  # a new file renamed over the old one, not rewritten in place
    assert sum(Decimal(r["BilledCost"]) for r in read_csv(data)) == month_sum(month_data, "openai")[0]
    assert sorted(p.name for p in folder.iterdir()) == [data.name, f"focus-{MONTH}-openai.metadata.json"]
    export_month(MONTH, today=TODAY, provider="openai", dest=str(tmp_path), fmt="parquet")
    assert sorted(p.name for p in folder.iterdir()) == [f"focus-{MONTH}-openai.metadata.json",
                                                        f"focus-{MONTH}-openai.parquet"]
    meta = json.loads((folder / f"focus-{MONTH}-openai.metadata.json").read_text())
    assert meta["Dataset"]["Format"] == "parquet" and meta["Dataset"]["DataFile"] == f"focus-{MONTH}-openai.parquet"


def test_a_broken_rule_fails_the_export_names_it_and_keeps_the_previous_files(month_data, tmp_path, capsys):
    export_month(MONTH, today=TODAY, provider="openai", dest=str(tmp_path))
    folder = partition_dir(tmp_path, "openai")
    before = {p.name: sha256(p) for p in folder.iterdir()}
    insert_costs(month_data, [("openai", "growth", date(2026, 10, 9), "proj_web", "gpt-4o, input", "us-dollar",
                               Decimal("1.25"), Decimal(10), "tokens", "org-growth", datetime.now().astimezone()),
                              ("openai", "growth", date(2026, 10, 9), "proj_web", "gpt-4o, output", "usd",
                               Decimal("1.25"), Decimal(10), "1k_tokens", "org-growth", datetime.now().astimezone())])
    with pytest.raises(NotConformant) as exc:
        export_month(MONTH, today=TODAY, provider="openai", dest=str(tmp_path))
    rules = {(v.rule, v.detail): v for v in exc.value.report.violations}
    assert rules[("CurrencyFormat", "BillingCurrency")].count == 1
    assert rules[("CurrencyFormat", "BillingCurrency")].samples[0]["BillingCurrency"] == "US-DOLLAR"
    assert rules[("UnitFormat", "PricingUnit")].samples[0]["PricingUnit"] == "1k Tokens"
    assert {p.name: sha256(p) for p in folder.iterdir()} == before  # nothing published, no temporary left
    code = main(["export", "focus", "--month", MONTH, "--provider", "openai", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1
    assert "CurrencyFormat [BillingCurrency]: 1; e.g." in err and "nothing was published and the previous files stay" in err


def test_check_finds_a_tampered_file(month_data, tmp_path, capsys):
    export_month(MONTH, today=TODAY, provider="openai", dest=str(tmp_path))
    data = partition_dir(tmp_path, "openai") / f"focus-{MONTH}-openai.csv"
    lines = data.read_text().splitlines(keepends=True)
    lines[1] = "9" + lines[1]  # BilledCost of the first row grows by 9 x 10^k; the other cost columns do not
    data.write_text("".join(lines))
    assert main(["export", "focus", "--check", str(data)]) == 1
    out = capsys.readouterr().out
    assert "violated BilledCostTotal [2026-10 openai USD]" in out and "violated CostColumnsEqual [EffectiveCost]: 1" in out
    assert "violated MetadataMatches [Sha256]: 1" in out  # the metadata no longer names this file
    assert "FAILED" in out
    (data.parent / f"focus-{MONTH}-openai.metadata.json").unlink()
    assert main(["export", "focus", "--check", str(data.parent)]) == 1
    assert "violated MetadataMatches [missing]: 1" in capsys.readouterr().out


BULK_MONTH = "2026-08"


def bulk_rows(db, teams: range) -> None:
    """Rows of BULK_MONTH, 15,000 a team (10 projects x 50 line items x 30 days): a 30 MB month for 4 teams."""
    for n in teams:
        add_team(db, f"bulk{n}", f"Bulk {n}")
    db.execute(
        """INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, amount, quantity,
                                         quantity_unit, organization_id, collected_at)
           SELECT 'openai', 'bulk' || t, date '2026-08-01' + d, 'proj_bulk' || p, 'model-' || i || ', input', 'usd',
                  (t * 7 + d * 13 + p * 17 + i) / 1000.0, 1000 + i, 'tokens', 'org-bulk', now()
           FROM unnest(%s::int[]) t, generate_series(0, 29) d, generate_series(0, 9) p, generate_series(0, 49) i""",
        (list(teams),))


def test_a_killed_export_leaves_the_previous_month_intact(db, tmp_path):
    bulk_rows(db, range(1))
    export_month(BULK_MONTH, today=TODAY, dest=str(tmp_path))  # the month as published before
    folder = partition_dir(tmp_path, "openai", BULK_MONTH)
    before = {p.name: sha256(p) for p in folder.iterdir()}
    bulk_rows(db, range(1, 4))
    child = subprocess.Popen([sys.executable, "-m", "finops", "export", "focus", "--month", BULK_MONTH, "--out", str(tmp_path)],
                             cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Synchronised on what is observable: the child's temporary file, 1 MB into a 30 MB COPY.
        deadline = time.monotonic() + 180
        staged = []
        while time.monotonic() < deadline and child.poll() is None:
            staged = [p for p in folder.glob(".focus-*.tmp") if p.stat().st_size > 2**20]
            if staged:
                break
            time.sleep(0.005)
        assert staged, f"the export never started writing (exit {child.poll()})"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert {p.name: sha256(p) for p in folder.iterdir() if not p.name.startswith(".")} == before
    assert [p for p in folder.iterdir() if p.name.startswith(".focus-")]  # the killed one's leftover
    assert check_published(str(folder))[0].rows == 15_000  # still the month as published before, whole
    # The next export removes the leftover and publishes the new month.
    result = export_month(BULK_MONTH, today=TODAY, dest=str(tmp_path))[0]
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    assert result.stale_removed and result.report.rows == 60_000
    assert result.report.totals == {(BULK_MONTH, "openai", "USD"): month_sum(db, "openai", BULK_MONTH)[0]}


# -- one-sentence errors ----------------------------------------------------------------------------------
def test_bad_dest_empty_month_and_future_month_each_say_one_sentence(month_data, tmp_path, capsys):
    afile = tmp_path / "file"
    afile.write_text("x")
    cases = [
        (["--month", MONTH, "--out", str(afile)], 2, f"error: --out {afile} is a file; give a folder"),
        (["--month", MONTH, "--out", "gs://bucket/focus"], 2, "error: --out gs://bucket/focus uses the scheme gs://"),
        (["--month", "2026-07", "--out", str(tmp_path)], 1, "error: No cost rows for any provider in 2026-07, so nothing was written;"),
        (["--month", "2026-10", "--provider", "anthropic", "--out", str(tmp_path / "a")], 0, None),
        (["--month", "2999-01", "--out", str(tmp_path)], 2, "error: 2999-01 is in the future (today is"),
        (["--month", "2026-1"], 2, "error: --month must be a month as YYYY-MM"),
        (["--check", str(tmp_path / "nothing")], 2, "does not exist; give a FOCUS file or a folder of them."),
    ]
    for argv, code, start in cases:
        assert main(["export", "focus", *argv]) == code, argv
        err = capsys.readouterr().err.strip()
        if start is None:
            continue
        assert len(err.splitlines()) == 1 and err.count(". ") == 0 and err.endswith("."), err
        assert start in err, err
    assert not (tmp_path / "billing_period=2026-07").exists()


# -- object storage -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 over HTTP; the `finops_exports` connection points at it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    previous = os.environ.get("AIRFLOW_CONN_FINOPS_EXPORTS")
    os.environ["AIRFLOW_CONN_FINOPS_EXPORTS"] = json.dumps({
        "conn_type": "aws", "login": "testing", "password": "testing",
        "extra": {"region_name": "us-east-1", "endpoint_url": endpoint},
    })
    yield endpoint
    if previous is None:
        os.environ.pop("AIRFLOW_CONN_FINOPS_EXPORTS", None)
    else:
        os.environ["AIRFLOW_CONN_FINOPS_EXPORTS"] = previous
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, request):
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                          region_name="us-east-1")
    name = "focus-" + request.node.name.replace("_", "-")[:40].lower().strip("-")
    client.create_bucket(Bucket=name)
    client.name = name
    return client


def test_s3_export_both_formats_read_back_and_checked(month_data, bucket, tmp_path, capsys):
    dest = f"s3://{bucket.name}/finops/focus"
    for fmt in ("csv", "parquet"):
        assert main(["export", "focus", "--month", MONTH, "--format", fmt, "--out", dest]) == 0
        assert f"Wrote {dest}/billing_period={MONTH}/provider=openai/focus-{MONTH}-openai.{fmt}" in capsys.readouterr().out
    keys = sorted(o["Key"] for o in bucket.list_objects_v2(Bucket=bucket.name)["Contents"])
    assert keys == sorted(f"finops/focus/billing_period={MONTH}/provider={p}/focus-{MONTH}-{p}.{ext}"
                          for p in ("openai", "anthropic") for ext in ("parquet", "metadata.json"))  # csv replaced
    for provider in ("openai", "anthropic"):
        prefix = f"finops/focus/billing_period={MONTH}/provider={provider}/focus-{MONTH}-{provider}"
        local = tmp_path / f"{provider}.parquet"
        bucket.download_file(bucket.name, f"{prefix}.parquet", str(local))
        assert_rows_equal_warehouse(read_parquet(local), warehouse(month_data, provider), provider)
        meta = json.loads(bucket.get_object(Bucket=bucket.name, Key=f"{prefix}.metadata.json")["Body"].read())
        assert meta["Dataset"]["Sha256"] == sha256(local)
    assert main(["export", "focus", "--check", dest]) == 0
    assert capsys.readouterr().out.strip().endswith(f"2 FOCUS file(s) checked under {dest}: PASSED.")
    reports = check_published(f"{dest}/billing_period={MONTH}/provider=openai")
    assert [r.ok for r in reports] == [True] and reports[0].rows == month_sum(month_data, "openai")[1]


def test_s3_csv_read_back_by_pyarrow(month_data, bucket, tmp_path):
    export_month(MONTH, today=TODAY, provider="openai", dest=f"s3://{bucket.name}")
    local = tmp_path / "openai.csv"
    bucket.download_file(bucket.name, f"billing_period={MONTH}/provider=openai/focus-{MONTH}-openai.csv", str(local))
    assert_rows_equal_warehouse(read_csv(local), warehouse(month_data, "openai"), "openai")


def test_s3_missing_bucket_is_one_sentence(month_data, s3_endpoint, capsys):
    assert main(["export", "focus", "--month", MONTH, "--out", "s3://no-such-bucket/focus"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("error: The bucket no-such-bucket of --out s3://no-such-bucket/focus does not exist (or the "
                   "`finops_exports` connection cannot see it); create it or give another URL.")


# -- the DAG's task bodies ------------------------------------------------------------------------------
def test_dag_tasks_export_the_touched_months_and_skip_empty_ones(month_data, tmp_path, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from finops.export.tasks import export_task, plan_exports

    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_FOCUS_DEST", str(tmp_path))  # a run's `dest` must lie inside it

    events = [{"provider": "anthropic", "window_start": "2026-10-30", "window_end": "2026-11-02"}]
    plan = plan_exports({}, events, date(2026, 11, 2))
    assert plan == [{"month": "2026-10", "provider": "anthropic"}, {"month": "2026-11", "provider": "anthropic"}]
    params = {"dest": str(tmp_path), "format": "parquet"}
    done = export_task(plan[0], params, datetime(2026, 11, 2, 6, 0))
    assert done["providers"] == ["anthropic"] and done["rows"] == month_sum(month_data, "anthropic")[1]
    assert done["deviations"]["PricingQuantityMissing"] == done["rows"]
    with pytest.raises(AirflowSkipException, match="No cost rows for provider anthropic in 2026-08"):
        export_task({"month": "2026-08", "provider": "anthropic"}, params, datetime(2026, 11, 2, 6, 0))
    with pytest.raises(AirflowFailException, match="is in the future"):
        export_task({"month": "2026-12", "provider": None}, params, datetime(2026, 11, 2, 6, 0))


def test_dag_s3_dest_in_another_bucket_or_prefix_fails_and_one_inside_is_written(month_data, bucket, s3_endpoint,
                                                                                  monkeypatch):
    import boto3
    from airflow.sdk.exceptions import AirflowFailException

    from finops.export.tasks import export_task

    run_after = datetime(2026, 11, 2, 6, 0)
    other = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="testing",
                         aws_secret_access_key="testing", region_name="us-east-1")
    other.create_bucket(Bucket="someone-elses-bucket")
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_FOCUS_DEST", f"s3://{bucket.name}/finops/focus")
    for dest in ("s3://someone-elses-bucket/focus", f"s3://{bucket.name}/public", f"s3://{bucket.name}/finops"):
        with pytest.raises(AirflowFailException, match=f"The `dest` param {dest} is outside the configured FOCUS "
                                                        f"destination s3://{bucket.name}/finops/focus"):
            export_task({"month": MONTH, "provider": "openai"}, {"dest": dest}, run_after)
    assert other.list_objects_v2(Bucket="someone-elses-bucket").get("KeyCount") == 0
    assert bucket.list_objects_v2(Bucket=bucket.name).get("KeyCount") == 0

    done = export_task({"month": MONTH, "provider": "openai"}, {"dest": f"s3://{bucket.name}/finops/focus/adhoc"},
                       run_after)
    key = f"finops/focus/adhoc/billing_period={MONTH}/provider=openai/focus-{MONTH}-openai.csv"
    assert done["files"] == [f"s3://{bucket.name}/{key}"]
    keys = [o["Key"] for o in bucket.list_objects_v2(Bucket=bucket.name)["Contents"]]
    assert key in keys and all(k.startswith("finops/focus/adhoc/") for k in keys)
