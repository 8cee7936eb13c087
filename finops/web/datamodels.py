"""Typed responses of the FinOps view: what the page renders and what ``/finops/api/...`` returns."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

DayState = Literal["success", "failed", "unsettled", "missing"]


class AdminKeyView(BaseModel):
    """An Admin key as shown: the redacted form and fingerprint, never the key."""

    provider: str = "openai"
    redacted: str
    fingerprint: str
    status: Literal["active", "rotated", "revoked"]
    created_at: datetime
    created_by: str
    last_verified_at: datetime | None = None
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None


class ProjectView(BaseModel):
    """A registered scope (OpenAI project ID, Anthropic workspace ID), with its name when it was verified live."""

    provider: str = "openai"
    project_id: str
    name: str | None = None
    archived: bool = False
    verified_at: datetime | None = None
    created_at: datetime
    created_by: str


class DayStatus(BaseModel):
    """One cell of the collection grid."""

    day: date
    state: DayState
    detail: str = Field(description="What the cell means; for a failed day, the reason.")


class DaySpend(BaseModel):
    """Spend of one day in one currency."""

    day: date
    amount: Decimal


class SpendSeries(BaseModel):
    """Daily spend of a team with one provider in one currency over the chart's days (zero where none was collected)."""

    provider: str = "openai"
    currency: str
    days: list[DaySpend]
    total: Decimal


class AuditView(BaseModel):
    """One audit log entry."""

    at: datetime
    actor: str
    action: str
    provider: str | None = None
    fingerprint: str | None = None
    detail: str | None = None


class ProviderTotal(BaseModel):
    """A provider's spend over the chart's days in one currency."""

    currency: str
    total: Decimal


class ProviderOverview(BaseModel):
    """What the page shows about one provider of a team: key, key history, scopes and spend."""

    provider: str
    label: str
    scope_noun: str = Field(description="What the provider's scope IDs are called: project ID, workspace ID.")
    scope_example: str
    key_prefix: str
    key: AdminKeyView | None = None
    key_history: list[AdminKeyView] = Field(default_factory=list)
    projects: list[ProjectView] = Field(default_factory=list)
    spend: list[ProviderTotal] = Field(default_factory=list)
    collection: list[DayStatus] = Field(default_factory=list, description="This provider's collection grid.")


class BudgetView(BaseModel):
    """One change of a team's monthly budget as listed on the page (``amount`` None: a removal)."""

    budget_id: int
    provider: str | None = Field(None, description="None: all providers.")
    project_id: str | None = Field(None, description="None: all projects.")
    valid_from: date
    month: str = Field(description="The first month it applies to, YYYY-MM.")
    amount: Decimal | None = None
    currency: str
    thresholds: list[int]
    status: Literal["in force", "scheduled", "replaced", "removed", "removal scheduled", "cancelled"]
    created_at: datetime | None = None
    created_by: str
    cancelled_at: datetime | None = None
    remove_from: str | None = Field(None, description="For a budget in force or scheduled: the month its removal "
                                                      "would start (YYYY-MM).")


class TeamSummary(BaseModel):
    """A team's identity, for deactivated teams."""

    team_id: str
    name: str
    active: bool
    created_at: datetime
    created_by: str


class TeamOverview(TeamSummary):
    """Everything the page shows about an active team (``key`` and ``key_history``: OpenAI's; ``providers``: each)."""

    key: AdminKeyView | None = None
    key_history: list[AdminKeyView] = Field(default_factory=list)
    providers: list[ProviderOverview] = Field(default_factory=list)
    projects: list[ProjectView] = Field(default_factory=list)
    collection: list[DayStatus] = Field(default_factory=list)
    spend: list[SpendSeries] = Field(default_factory=list)
    audit: list[AuditView] = Field(default_factory=list)
    budgets: list[BudgetView] = Field(default_factory=list, description="Every budget change, oldest first per scope.")


class Overview(BaseModel):
    """One page of active teams in full (filtered by ``query``), deactivated teams by name, and what the user may do."""

    today: date
    lookback_days: int
    status_days: int
    spend_days: int
    can_manage: bool
    teams: list[TeamOverview]
    inactive_teams: list[TeamSummary]
    query: str = ""
    page: int = 1
    pages: int = 1
    per_page: int
    teams_matching: int
    teams_active: int


class ProjectList(BaseModel):
    """Registered project and workspace IDs of one team or of every team."""

    team_id: str | None
    projects: list[ProjectView]


class KeyHistory(BaseModel):
    """A team's Admin keys, newest first."""

    team_id: str
    keys: list[AdminKeyView]
