"""Daily spend read from ``finops.cost_data`` and folded into per-scope series for forecasts and anomalies."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from datetime import date
from decimal import Decimal

from finops import paths
from finops.alerts.models import Budget, DailySpend
from finops.money import ZERO as _ZERO
from finops.money import add
from finops.warehouse.db import FINOPS_DB_CONN_ID, connect

Series = dict[date, Decimal]
_QUALIFIER = re.compile(r"^[^|,]+\|\s*")
_ANTHROPIC = re.compile(r"^(?P<model>.+?) Usage - ")
_MODALITY = re.compile(r" (audio|text|image)$")


def model_of(line_item: str) -> str | None:
    """The model a line item is about, best effort (``batch | gpt-4o-mini, output`` -> ``gpt-4o-mini``).

    A stand-in until the analytics line-item parser lands: pass that parser to ``load_daily_spend``
    instead. Line items that name no model (``web search tool calls``, ``Vector storage``) give None.
    """
    text = _QUALIFIER.sub("", line_item.strip())
    anthropic = _ANTHROPIC.match(text)
    if anthropic:
        return anthropic["model"].strip()
    head = _MODALITY.sub("", text.split(",", 1)[0].strip())
    if not head or " " in head or not any(c.isdigit() for c in head) and "-" not in head:
        return None
    return head


def analytics_model(provider: str, line_item: str) -> str | None:
    """The model of a line item as the spend analytics parse it (so alerts and the overview name models alike)."""
    from finops.analytics.line_items import parse

    return parse(provider, line_item).model


def load_daily_spend(start: date, end: date, team_ids: Sequence[str] | None = None, *, by_model: bool = False,
                     model: Callable[[str], str | None] = model_of,
                     provider_model: Callable[[str, str], str | None] | None = None,
                     project_teams: Collection[str] | None = None,
                     conn_id: str = FINOPS_DB_CONN_ID) -> list[DailySpend]:
    """Spend per team, provider, project (and model) and UTC day on [start, end), summed in SQL.

    ``provider_model(provider, line_item)``, when given, names the model instead of ``model``
    (the alerts DAG passes :func:`analytics_model`, the parser behind the overview's model panel).
    By model, the few distinct line items are named in Python and PostgreSQL sums per model: folding
    the 675,000 line-item rows of 1,000 teams in Python took about 10 s (bench ``alerts_dag``).
    ``project_teams``, by model, keeps projects apart only for those teams (the ones with a project
    budget); the others' rows have project_id None, all their projects summed (a third of the rows
    with 3 projects a team).
    """
    import psycopg

    params: dict = {"start_date": start, "end_date": end,
                    "team_ids": list(team_ids) if team_ids is not None else None,
                    "project_teams": sorted(project_teams) if project_teams is not None else None}
    with connect(conn_id) as conn:
        if not by_model:
            rows = conn.execute(paths.sql("alerts/spend_daily"), params).fetchall()
            return [DailySpend(*row) for row in rows]
        # One snapshot for both reads: a line item collected in between must not be left out of the sums.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.execute(paths.sql("alerts/spend_work_mem"))
        pairs = conn.execute(paths.sql("alerts/spend_line_item_names"), params).fetchall()
        params["providers"] = [p for p, _ in pairs]
        params["line_items"] = [i for _, i in pairs]
        params["models"] = [provider_model(p, i) if provider_model else model(i) for p, i in pairs]
        rows = conn.execute(paths.sql("alerts/spend_daily_models"), params).fetchall()
    return [DailySpend(*row) for row in rows]


def group_series(spend: Iterable[DailySpend], key: Callable[[DailySpend], Hashable | None]) -> dict[Hashable, Series]:
    """Daily totals per ``key(row)`` (rows whose key is None are left out); a missing day means no spend."""
    grouped: dict[Hashable, Series] = {}
    for row in spend:
        k = key(row)
        if k is not None:
            series = grouped.get(k)
            if series is None:
                series = grouped[k] = {}
            series[row.usage_date] = add(series.get(row.usage_date, _ZERO), row.amount)
    return grouped


def budget_series(spend: Iterable[DailySpend], budget: Budget) -> Series:
    """Daily spend of what ``budget`` covers: its team, provider (or all), project (or all) and currency."""
    team_id, currency, provider, project_id = budget.team_id, budget.currency, budget.provider, budget.project_id
    series: Series = {}
    for row in spend:  # inline, not group_series: called per budget and month (bench alerts_dag)
        if (row.team_id == team_id and row.currency == currency and provider in (None, row.provider)
                and project_id in (None, row.project_id)):
            series[row.usage_date] = add(series.get(row.usage_date, _ZERO), row.amount)
    return series


def collected_until(as_of: date, team_ids: Sequence[str] | None = None,
                    conn_id: str = FINOPS_DB_CONN_ID) -> dict[tuple[str, str], date]:
    """Per team and provider, the exclusive end (at most ``as_of``) of the days its successful collections covered."""
    params = {"as_of": as_of, "team_ids": list(team_ids) if team_ids is not None else None}
    with connect(conn_id) as conn:
        rows = conn.execute(paths.sql("alerts/collected_until"), params).fetchall()
    return {(team_id, provider): end for team_id, provider, end in rows}
