"""The overview in a terminal: the same numbers as the page, as a few aligned lines (``make demo``)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f} {currency.upper()}"


def _pct(share: Decimal | None, signed: bool = False) -> str:
    if share is None:
        return "n/a"
    value = (share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{'+' if signed and value > 0 else ''}{value} %"


def overview_text(data: Any, url: str | None = None) -> str:
    """``OverviewData`` as text: totals, change, projection, shares, top teams and models, freshness."""
    cur = data.currency
    lines = [f"FinOps overview, {data.label} ({data.period}):",
             f"  spend            {_money(data.total, cur)}"
             + (f"  (includes provisional days {data.provisional[0]}..{data.provisional[1]})" if data.provisional
                else ""),
             f"  change           {_pct(data.change, True)} vs {_money(data.previous_total, cur)} in {data.previous}"]
    if data.projection is not None:
        lines.append(f"  projected month  {_money(data.projection, cur)} ({data.projection_basis})")
    lines += [f"  unattributed     {_money(data.unattributed, cur)} ({_pct(data.unattributed_share)})",
              f"  cached input     {_pct(data.cached_share)} of input token spend; batch {_pct(data.batch_share)}"]
    for title, items in (("top teams", data.top_teams[:5]), ("top models", data.top_models[:5])):
        if items:
            lines.append(f"  {title}:")
            width = max(len(i.label) for i in items)
            lines += [f"    {i.label:<{width}}  {_money(i.amount, cur):>16}  {_pct(i.share):>7}" for i in items]
    if data.restated:
        lines.append(f"  restated days    {len(data.restated)} (a later collection changed their totals)")
    lines.append(f"  {data.freshness.note(data.period.start, data.period.end)}")
    if url:
        lines.append(f"  page: {url}")
    return "\n".join(lines)
