"""UsageLoad.spool: the window's rows only, as COPY data in their order (a duplicate is the unique index's to refuse:
tests/integration/test_usage_model_rollup.py)."""

from __future__ import annotations

from datetime import date

from finops.usage.load import UsageLoad
from finops.usage.models import UsageRow

PARAMS = {"window_start": date(2026, 9, 28), "window_end": date(2026, 10, 1), "provider": "openai", "team_id": "t1"}


def row(day: date, key: str = "key_a", tokens: int = 1) -> UsageRow:
    return UsageRow(usage_date=day, project_id="proj_a", endpoint="completions", api_key_id=key, model="gpt-4.1",
                    input_tokens=tokens)


def spooled(rows: list[UsageRow]) -> tuple[int, bytes]:
    load = UsageLoad(rows)
    load.spool(PARAMS)
    _, _, count, _, data = load._spooled
    return count, data


def test_only_the_window_s_days_are_kept_in_their_order():
    rows = [row(date(2026, 9, 27), tokens=5), row(date(2026, 9, 28), tokens=6), row(date(2026, 9, 30), tokens=7),
            row(date(2026, 10, 1), tokens=8)]
    count, data = spooled(rows)
    assert count == 2
    lines = data.decode().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["2026-09-28", "2026-09-30"]
    assert [line.split("\t")[9] for line in lines] == ["6", "7"]


def test_all_in_the_window_is_kept_whole():
    rows = [row(date(2026, 9, 28), key=f"key_{n}") for n in range(5)]
    assert spooled(rows)[0] == 5
