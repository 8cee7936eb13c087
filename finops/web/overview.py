"""Builds the page's data from the registry and the collection tables (one place for page and JSON API)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Query

from finops import paths
from finops.defaults import DEFAULT_LOOKBACK_DAYS, LOOKBACK_DAYS_VARIABLE
from finops.money import exact_sum
from finops.providers import OPENAI, PROVIDERS
from finops.web.budgets import budget_views
from finops.web.datamodels import (
    AdminKeyView,
    AuditView,
    DaySpend,
    DayStatus,
    Overview,
    ProjectView,
    ProviderOverview,
    ProviderTotal,
    SpendSeries,
    TeamOverview,
    TeamSummary,
)

if TYPE_CHECKING:
    from finops.registry import Registry

STATUS_DAYS = 14
SPEND_DAYS = 30
AUDIT_ENTRIES = 8
#: Active teams shown in full per page (a thousand teams would be ~18 MB of HTML: docs/performance.md).
TEAMS_PER_PAGE = 25

QueryText = Annotated[str, Query(max_length=200, description="Show the teams whose id or name contains this text.")]
PageNumber = Annotated[int, Query(alias="page", ge=1, description="Which page of matching teams (25 a page).")]


def get_registry() -> Registry:
    """The registry shared with the CLI and the DAG (a dependency, so tests may replace it)."""
    from finops.registry import Registry

    return Registry()


def lookback_days() -> int:
    """The ``finops_lookback_days`` variable: days younger than this are not yet settled."""
    from finops.lookup import get_variable

    try:
        return max(0, int(get_variable(LOOKBACK_DAYS_VARIABLE, DEFAULT_LOOKBACK_DAYS)))
    except (TypeError, ValueError):
        return DEFAULT_LOOKBACK_DAYS


def _query(name: str, **params: Any) -> list[tuple]:
    from finops.warehouse.db import connect

    with connect() as conn:
        return conn.execute(paths.sql(f"web/{name}"), params).fetchall()


def key_view(info: Any) -> AdminKeyView:
    """The display form of a registry ``AdminKeyInfo``."""
    return AdminKeyView(
        provider=getattr(info, "provider", OPENAI), redacted=info.redacted, fingerprint=info.fingerprint, status=info.status, created_at=info.created_at,
        created_by=info.created_by, last_verified_at=info.last_verified_at, rotated_at=info.rotated_at,
        revoked_at=info.revoked_at, revoked_by=info.revoked_by,
    )


def project_view(project: Any) -> ProjectView:
    """The display form of a registry ``Project``."""
    return ProjectView(
        provider=getattr(project, "provider", OPENAI), project_id=project.project_id, name=project.name, archived=project.archived,
        verified_at=project.verified_at, created_at=project.created_at, created_by=project.created_by,
    )


def _day_status(day: date, status: str | None, error: str | None, finished_at: datetime | None,
                unsettled: bool) -> DayStatus:
    when = f" (attempt finished {finished_at:%Y-%m-%d %H:%M} UTC)" if finished_at else ""
    if status == "failed":
        return DayStatus(day=day, state="failed", detail=f"{day}: failed{when}: {error or 'no reason recorded'}")
    if unsettled:
        collected = "collected provisionally" if status == "success" else "not collected yet"
        return DayStatus(day=day, state="unsettled",
                         detail=f"{day}: not yet settled, {collected}; costs are collected again within the look-back")
    if status == "success":
        return DayStatus(day=day, state="success", detail=f"{day}: collected{when}")
    return DayStatus(day=day, state="missing", detail=f"{day}: not collected")


def collection_grid(team_ids: list[str], today: date, lookback: int, days: int = STATUS_DAYS,
                    provider: str = OPENAI) -> dict[str, list[DayStatus]]:
    """Per team, the last ``days`` days (ending today) as the provider's collection states."""
    grid: dict[str, list[DayStatus]] = defaultdict(list)
    if not team_ids:
        return grid
    rows = _query("collection_status", team_ids=team_ids, last_day=today, today=today, days=days,
                  lookback_days=lookback, provider=provider)
    for team_id, day, status, error, finished_at, unsettled in rows:
        grid[team_id].append(_day_status(day, status, error, finished_at, unsettled))
    return grid


def spend_series(team_ids: list[str], today: date, days: int = SPEND_DAYS) -> dict[str, list[SpendSeries]]:
    """Per team, provider and currency, the spend of each of the last ``days`` days (zero-filled).

    A team's series come provider by provider (OpenAI first), the largest total first within each.
    """
    amounts: dict[str, dict[tuple[str, str], dict[date, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    if team_ids:
        for team_id, provider, currency, day, amount in _query("spend_daily_by_provider", team_ids=team_ids,
                                                               last_day=today, days=days):
            amounts[team_id][(provider, currency)][day] = Decimal(amount)
    span = [today - timedelta(days=days - 1 - i) for i in range(days)]
    order = {name: n for n, name in enumerate(PROVIDERS)}
    result: dict[str, list[SpendSeries]] = {}
    for team_id, per_series in amounts.items():
        series = [
            SpendSeries(provider=provider, currency=currency,
                        days=[DaySpend(day=d, amount=by_day.get(d, Decimal(0))) for d in span],
                        total=exact_sum(by_day.values()))
            for (provider, currency), by_day in per_series.items()
        ]
        result[team_id] = sorted(series, key=lambda s: (order.get(s.provider, 99), -s.total))
    return result


def provider_overviews(history: list[AdminKeyView], projects: list[ProjectView], spend: list[SpendSeries],
                       can_manage: bool) -> list[ProviderOverview]:
    """A team's providers: every provider for managers (so they can register one), else those the team has
    (a key, a scope or spend; OpenAI always, as before providers)."""
    shown = []
    for name, spec in PROVIDERS.items():
        keys = [k for k in history if k.provider == name]
        scopes = [p for p in projects if p.provider == name]
        totals = [ProviderTotal(currency=s.currency, total=s.total) for s in spend if s.provider == name]
        if not (can_manage or name == OPENAI or keys or scopes or totals):
            continue
        shown.append(ProviderOverview(
            provider=name, label=spec.label, scope_noun=spec.scope_noun, scope_example=spec.scope_example,
            key_prefix=spec.key_prefix, key=next((k for k in keys if k.status == "active"), None), key_history=keys,
            projects=scopes, spend=totals,
        ))
    return shown


def build_overview(registry: Registry, can_manage: bool, today: date | None = None, *, query: str = "",
                   page: int = 1, focus: str | None = None, per_page: int = TEAMS_PER_PAGE,
                   team_id: str | None = None, teams: frozenset[str] | None = None) -> Overview:
    """One page of active teams with key, projects, collection grid, spend and recent audit entries.

    ``query`` keeps the teams whose id or name contains it (any case); ``focus`` (a team id) picks the
    page that holds that team instead of ``page``; a page past the end shows the last one. ``team_id`` shows
    that team alone, active or not (the team's management page). ``teams`` (the user's visible teams; None is
    every team) keeps only those, in every list and count.
    """
    today = today or datetime.now(UTC).date()
    lookback = lookback_days()
    visible = teams
    teams = [t for t in registry.teams(include_inactive=True) if visible is None or t.team_id in visible]
    all_active = [t for t in teams if t.active]
    needle = query.strip().casefold()
    matching = [t for t in all_active if needle in t.team_id.casefold() or needle in t.name.casefold()]
    if team_id is not None:
        matching = [t for t in teams if t.team_id == team_id]
    pages = max(1, -(-len(matching) // per_page))
    ids = [t.team_id for t in matching]
    if focus in ids:
        page = ids.index(focus) // per_page + 1
    page = min(max(1, page), pages)
    active = matching[(page - 1) * per_page:page * per_page]
    active_ids = [t.team_id for t in active]
    projects: dict[str, list[ProjectView]] = defaultdict(list)
    for project in registry.projects(provider=None):
        projects[project.team_id].append(project_view(project))
    grids = {name: collection_grid(active_ids, today, lookback, provider=name) for name in PROVIDERS}
    grid = grids[OPENAI]
    spend = spend_series(active_ids, today)
    keys = registry.key_histories(active_ids)
    audit = registry.recent_audit(active_ids, AUDIT_ENTRIES)
    budgets = budget_views(active_ids, today)
    overviews = []
    for team in active:
        history = [key_view(k) for k in keys[team.team_id]]
        openai_history = [k for k in history if k.provider == OPENAI]
        team_spend = spend.get(team.team_id, [])
        overviews.append(TeamOverview(
            team_id=team.team_id, name=team.name, active=team.active, created_at=team.created_at,
            created_by=team.created_by,
            key=next((k for k in openai_history if k.status == "active"), None),
            key_history=openai_history,
            # OpenAI's grid is the team's own (``collection``); another provider's shows once it has a key or scope.
            providers=[p.model_copy(update={"collection": grids[p.provider].get(team.team_id, [])})
                       if p.provider != OPENAI and (p.key or p.projects) else p
                       for p in provider_overviews(history, projects.get(team.team_id, []), team_spend, can_manage)],
            projects=projects.get(team.team_id, []),
            collection=grid.get(team.team_id, []),
            spend=team_spend,
            audit=[AuditView(at=e.at, actor=e.actor, action=e.action, provider=getattr(e, "provider", None),
                             fingerprint=e.fingerprint, detail=e.detail)
                   for e in audit[team.team_id]],
            budgets=budgets.get(team.team_id, []),
        ))
    inactive = [TeamSummary(team_id=t.team_id, name=t.name, active=False, created_at=t.created_at,
                            created_by=t.created_by) for t in teams if not t.active and team_id is None]
    return Overview(today=today, lookback_days=lookback, status_days=STATUS_DAYS, spend_days=SPEND_DAYS,
                    can_manage=can_manage, teams=overviews, inactive_teams=inactive, query=query.strip(), page=page,
                    pages=pages, per_page=per_page, teams_matching=len(matching), teams_active=len(all_active))
