"""The teams' budget changes as the page lists them: status for the current month and where a removal starts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from finops.web.datamodels import BudgetView


def budget_views(team_ids: Iterable[str], today: date) -> dict[str, list[BudgetView]]:
    """Per team, every budget change (cancelled ones too), with its status for ``today``'s month."""
    from finops.alerts.budgets import budgets, change_status, superseded
    from finops.alerts.models import effective_budgets, month_label, month_start

    wanted = set(team_ids)
    if not wanted:
        return {}
    month = month_start(today)
    changes = [b for b in budgets(include_cancelled=True) if b.team_id in wanted]
    in_force = {b.budget_id for b in effective_budgets(changes, month)}
    replaced = superseded(changes)
    views: dict[str, list[BudgetView]] = defaultdict(list)
    for b in changes:
        status = change_status(b, in_force, month, replaced)
        removable = b.amount is not None and status in ("in force", "scheduled")
        views[b.team_id].append(BudgetView(
            budget_id=b.budget_id, provider=b.provider, project_id=b.project_id, valid_from=b.valid_from,
            month=month_label(b.valid_from), amount=b.amount, currency=b.currency, thresholds=list(b.thresholds),
            status=status, created_at=b.created_at, created_by=b.created_by, cancelled_at=b.cancelled_at,
            remove_from=month_label(max(b.valid_from, month)) if removable else None,
        ))
    return views
