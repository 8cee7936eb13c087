"""Budgets in the warehouse: checked, stored as a history of changes, and audited like keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from finops import paths
from finops.alerts.errors import BudgetNotFound, InvalidBudget, UnknownProject
from finops.alerts.models import DEFAULT_THRESHOLDS, Budget, effective_budgets, month_label, month_start
from finops.warehouse.db import FINOPS_DB_CONN_ID, connect

if TYPE_CHECKING:
    import psycopg

PROVIDERS = ("openai", "anthropic")
MAX_AMOUNT = Decimal("1e12")
MAX_DECIMALS = 6
MAX_THRESHOLDS = 10
THRESHOLD_RANGE = (1, 1000)
TEAM_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
CURRENCY = re.compile(r"^[a-z]{3}$")
PROJECT_IDS = {
    "openai": re.compile(r"^proj_[A-Za-z0-9_-]{1,64}$"),
    "anthropic": re.compile(r"^(default|wrkspc_[A-Za-z0-9_-]{1,64})$"),
}


# -- checks: everything a user can get wrong, before anything is stored ----------------------------
def parse_amount(text: str) -> Decimal:
    """A budget amount: a positive number below 10^12 with at most six decimals."""
    hint = "give a positive number such as 1000 or 2500.50, in the data's currency"
    try:
        amount = Decimal(str(text).strip())
    except InvalidOperation:
        raise InvalidBudget(f"The budget amount {str(text)[:40]!r} is not a number; {hint}.") from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidBudget(f"The budget amount {str(text)[:40]!r} is not positive; {hint}.")
    if amount >= MAX_AMOUNT or -amount.as_tuple().exponent > MAX_DECIMALS:
        raise InvalidBudget(
            f"The budget amount {str(text)[:40]!r} is out of range; {hint} (below 10^12, at most {MAX_DECIMALS} decimals)."
        )
    return amount


def parse_thresholds(text: str | None) -> tuple[int, ...]:
    """Warning thresholds in percent of the budget, e.g. ``50,80,100``: 1 to 10 whole numbers from 1 to 1000."""
    if text is None:
        return DEFAULT_THRESHOLDS
    low, high = THRESHOLD_RANGE
    hint = f"give whole percentages from {low} to {high} separated by commas, e.g. 50,80,100"
    parts = [p.strip().removesuffix("%") for p in str(text).split(",")]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise InvalidBudget(f"The thresholds {str(text)[:60]!r} are not whole percentages; {hint}.") from None
    if not values or len(values) > MAX_THRESHOLDS or any(not low <= v <= high for v in values):
        raise InvalidBudget(f"The thresholds {str(text)[:60]!r} are out of range; {hint} ({MAX_THRESHOLDS} at most).")
    if len(set(values)) != len(values):
        raise InvalidBudget(f"The thresholds {str(text)[:60]!r} repeat a value; {hint}.")
    return tuple(sorted(values))


def parse_month(text: str | None, today: date) -> date:
    """``YYYY-MM`` as the month's first day; none means the current UTC month."""
    if text is None:
        return month_start(today)
    match = MONTH.match(str(text).strip())
    if not match or not 2000 <= int(match[1]) <= 2100 or not 1 <= int(match[2]) <= 12:
        raise InvalidBudget(f"The month {str(text)[:20]!r} is not a month; give it as YYYY-MM, e.g. 2026-12.")
    return date(int(match[1]), int(match[2]), 1)


def check_scope(team_id: str, provider: str | None, project_id: str | None) -> tuple[str | None, str | None]:
    """The scope's provider and project; a project's provider is taken from its id when not given."""
    if not TEAM_ID.match(team_id or ""):
        raise InvalidBudget(
            "A team id is 1 to 63 lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit "
            f"(got {str(team_id)[:70]!r})."
        )
    if provider is not None and provider not in PROVIDERS:
        raise InvalidBudget(f"The provider {provider[:30]!r} is unknown; give one of {', '.join(PROVIDERS)}.")
    if project_id is None:
        return provider, None
    matching = [p for p in PROVIDERS if PROJECT_IDS[p].match(project_id)]
    if provider is None and len(matching) == 1:
        provider = matching[0]
    if provider is None or provider not in matching:
        raise InvalidBudget(
            f"The project {project_id[:80]!r} is not an {provider or 'OpenAI or Anthropic'} project id; give an "
            "OpenAI `proj_...` id, or an Anthropic workspace id `wrkspc_...` or `default`, as in `finops projects list`."
        )
    return provider, project_id


def check_currency(text: str) -> str:
    currency = str(text).strip().lower()
    if not CURRENCY.match(currency):
        raise InvalidBudget(f"The currency {str(text)[:20]!r} is not a three-letter code; give the data's currency, e.g. usd.")
    return currency


@dataclass(frozen=True, slots=True)
class BudgetChange:
    """What ``set`` or ``remove`` stored: the new row and the later changes it cancelled."""

    budget: Budget
    cancelled: tuple[Budget, ...] = ()


# -- the warehouse ---------------------------------------------------------------------------------
def _rows(conn: psycopg.Connection, query: str, **params: Any) -> list[Budget]:
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(paths.sql(f"alerts/{query}"), params)
        rows = cur.fetchall() if cur.description else []
    return [Budget(**{**row, "thresholds": tuple(row["thresholds"])}) for row in rows]


def _lock_team(conn: psycopg.Connection, team_id: str, *, active: bool) -> None:
    from finops.registry.errors import TeamInactive, TeamNotFound

    row = conn.execute(paths.sql("registry/team_lock"), {"team_id": team_id}).fetchone()
    if row is None:
        raise TeamNotFound(f"Team {team_id} does not exist; add it with `finops teams add {team_id}`.")
    if active and not row[2]:
        raise TeamInactive(
            f"Team {team_id} is deactivated; add it again with `finops teams add {team_id}` to reactivate it."
        )


def _audit(conn: psycopg.Connection, actor: str, action: str, budget: Budget, detail: str) -> None:
    conn.execute(paths.sql("alerts/budget_audit_insert"), {
        "actor": actor, "action": action, "team_id": budget.team_id, "provider": budget.provider, "detail": detail,
    })


def describe_change(budget: Budget) -> str:
    """The audit detail of a change: scope, amount, thresholds, first month."""
    where = f"{budget.provider} project {budget.project_id}" if budget.project_id else (budget.provider or "all providers")
    what = "removed" if budget.amount is None else (
        f"{budget.amount} {budget.currency} a month, thresholds {','.join(map(str, budget.thresholds))} %"
    )
    return f"{where}: {what} from {month_label(budget.valid_from)}"


def set_budget(team_id: str, amount: str, actor: str, *, today: date, provider: str | None = None,
               project_id: str | None = None, thresholds: str | None = None, from_month: str | None = None,
               currency: str = "usd", conn_id: str = FINOPS_DB_CONN_ID) -> BudgetChange:
    """Store a budget change valid from ``from_month`` (default: ``today``'s month) until the scope's next change."""
    provider, project_id = check_scope(team_id, provider, project_id)
    params = {
        "team_id": team_id, "provider": provider, "project_id": project_id,
        "valid_from": parse_month(from_month, today), "amount": parse_amount(amount),
        "currency": check_currency(currency), "thresholds": list(parse_thresholds(thresholds)), "actor": actor,
    }
    with connect(conn_id) as conn:
        _lock_team(conn, team_id, active=True)
        if project_id is not None:
            known = conn.execute(paths.sql("alerts/project_known"), params).fetchone()[0]
            if not known:
                raise UnknownProject(
                    f"Project {project_id} is not registered for team {team_id} on {provider}; register it with "
                    f"`finops projects add {team_id} {project_id}` or check `finops projects list {team_id}`."
                )
        budget = _rows(conn, "budget_insert", **params)[0]
        _audit(conn, actor, "budget.set", budget, describe_change(budget))
        return BudgetChange(budget)


def remove_budget(team_id: str, actor: str, *, today: date, provider: str | None = None,
                  project_id: str | None = None, from_month: str | None = None,
                  conn_id: str = FINOPS_DB_CONN_ID) -> BudgetChange:
    """End a scope's budget from ``from_month`` (default: ``today``'s month) on, cancelling later changes too."""
    provider, project_id = check_scope(team_id, provider, project_id)
    first = parse_month(from_month, today)
    scope = {"team_id": team_id, "provider": provider, "project_id": project_id}
    with connect(conn_id) as conn:
        _lock_team(conn, team_id, active=False)
        changes = _rows(conn, "budget_scope", **scope)
        in_force = effective_budgets(changes, first)
        later = [b for b in changes if b.valid_from > first]
        if not in_force and not any(b.amount is not None for b in later):
            where = Budget(0, team_id, provider, project_id, first, None, "usd", ()).describe()
            raise BudgetNotFound(
                f"There is no budget for {where} from {month_label(first)} on; see `finops budgets list`."
            )
        template = in_force[0] if in_force else next(b for b in later if b.amount is not None)
        conn.execute(paths.sql("alerts/budget_cancel_later"), {**scope, "valid_from": first, "actor": actor})
        budget = _rows(conn, "budget_insert", **scope, valid_from=first, amount=None, currency=template.currency,
                       thresholds=list(template.thresholds), actor=actor)[0]
        _audit(conn, actor, "budget.remove", budget, describe_change(budget))
        return BudgetChange(budget, tuple(later))


def superseded(changes: list[Budget]) -> set[int]:
    """Ids of changes followed by a later change of the same scope and first month (that one applies instead)."""
    latest: dict[tuple, int] = {}
    for b in changes:
        if b.cancelled_at is None:
            key = (*b.scope, b.valid_from)
            latest[key] = max(latest.get(key, b.budget_id), b.budget_id)
    return {b.budget_id for b in changes
            if b.cancelled_at is None and latest[(*b.scope, b.valid_from)] != b.budget_id}


def change_status(budget: Budget, in_force: set[int], month: date, replaced: set[int] = frozenset()) -> str:
    """A change's place in its scope's history for ``month``: in force, scheduled, replaced, removed or cancelled.

    ``in_force`` holds the ids of ``effective_budgets(..., month)``, ``replaced`` those of ``superseded(...)``.
    """
    if budget.cancelled_at is not None:
        return "cancelled"
    if budget.budget_id in in_force:
        return "in force"
    if budget.budget_id in replaced:
        return "replaced"
    if budget.valid_from > month:
        return "removal scheduled" if budget.amount is None else "scheduled"
    return "removed" if budget.amount is None else "replaced"


def set_message(change: BudgetChange) -> str:
    """What ``set`` did, in one sentence (the CLI prints it, the page shows it)."""
    from finops.alerts.evaluate import money

    b = change.budget
    assert b.amount is not None
    return (f"Budget of {b.describe()}: {money(b.amount, b.currency)} a month from {month_label(b.valid_from)} on, "
            f"warnings at {', '.join(f'{t} %' for t in b.thresholds)}.")


def removal_message(change: BudgetChange) -> str:
    """What ``remove`` did, in one sentence (the CLI prints it, the page shows it)."""
    later = f"; {len(change.cancelled)} change(s) scheduled for later months are cancelled" if change.cancelled else ""
    return (f"Budget of {change.budget.describe()} removed from {month_label(change.budget.valid_from)} on{later}; "
            "earlier months keep theirs.")


def budgets(team_id: str | None = None, *, include_cancelled: bool = False,
            conn_id: str = FINOPS_DB_CONN_ID) -> list[Budget]:
    """Every budget change (history), oldest first per scope."""
    with connect(conn_id) as conn:
        return _rows(conn, "budget_list", team_id=team_id, include_cancelled=include_cancelled)
