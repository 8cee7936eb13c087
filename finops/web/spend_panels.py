"""The spend pages' panels (overview and team page), read as the route and the page bench both need them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    from finops.analytics.overview import OverviewData
    from finops.analytics.report import Period
    from finops.analytics.usage_panels import UsagePanels
    from finops.attribution.panel import KeyPanel
    from finops.warehouse.snapshot import SnapshotReads


@dataclass(frozen=True)
class SpendPanels:
    data: OverviewData
    usage: UsagePanels
    keys: KeyPanel


def read_spend_panels(reads: SnapshotReads, period: Period, *, today: date, label: str, month: bool, group: str,
                      provider: str | None = None, team_id: str | None = None, teams: list[str] | None = None,
                      lookback: int | None = None, keys_read: Callable | None = None) -> SpendPanels:
    """The spend figures first (their period and currency frame the rest), then the usage panels on a side
    connection while the top keys and owners are read on the page's: the two longest reads run on two cores, in
    one snapshot (:mod:`finops.warehouse.snapshot`). ``keys_read``: the key panel's read (``key_panel``)."""
    from finops.analytics.overview import build_overview
    from finops.analytics.usage_panels import build_usage_panels
    from finops.attribution.panel import key_panel

    data = build_overview(reads.conn, period, today=today, label=label, month=month, group=group, provider=provider,
                          team_id=team_id, teams=teams, lookback=lookback)
    usage = reads.submit(build_usage_panels, data.period, data.previous, currency=data.currency, provider=provider,
                         team_id=team_id, teams=teams)
    keys = (keys_read or key_panel)(reads.conn, period.start, period.end, currency=data.currency, team_id=team_id,
                                    provider=provider, teams=teams)
    return SpendPanels(data=data, usage=usage.result(), keys=keys)
