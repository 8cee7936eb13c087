"""The pages' view of attribution: top keys and owners with their share, unattributed spend, one key's page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from finops import paths
from finops.money import ZERO, add, exact_sum

if TYPE_CHECKING:
    import psycopg

TOP = 10


@dataclass(frozen=True, slots=True)
class KeyLine:
    """One key's (or owner's, or reason's) spend in the period and its share of the total."""

    team_id: str
    provider: str
    label: str
    amount: Decimal
    share: Decimal
    api_key_id: str | None = None
    redacted_value: str | None = None
    owner: str | None = None
    allocated: bool = False
    last_used: date | datetime | None = None
    status: str | None = None


@dataclass(frozen=True)
class KeyPanel:
    """Top keys, top owners and spend with no key (by reason) in one currency."""

    currency: str
    total: Decimal
    keys: list[KeyLine] = field(default_factory=list)
    owners: list[KeyLine] = field(default_factory=list)
    unattributed: list[KeyLine] = field(default_factory=list)
    keys_count: int = 0


def _share(amount: Decimal, total: Decimal) -> Decimal:
    return amount / total if total else ZERO  # a display share, not money: divided outside the exact context


def key_panel(conn: psycopg.Connection, start: date, end: date, *, currency: str = "usd",
              team_id: str | None = None, provider: str | None = None, teams: list[str] | None = None) -> KeyPanel:
    """Spend per key, owner and unattributed reason in ``[start, end)`` for ``currency``, of ``teams`` (None: all).

    Read from the key rollups (``key_panel.sql``: the period's whole months from spend_key_monthly, the other days
    from spend_key_daily), summed and ranked in SQL: a few dozen rows come back whatever the number of keys. The
    figures are :func:`key_panel_from_cost_data`'s to the last digit.
    """
    months, ranges = _month_plan(start, end)
    conn.execute(paths.sql("attribution/key_panel_settings"))
    rows = conn.execute(paths.sql("attribution/key_panel"), {
        "months": months, "range_starts": [a for a, _ in ranges], "range_ends": [b for _, b in ranges],
        "currency": currency, "team_id": team_id, "provider": provider, "teams": teams, "top": TOP}).fetchall()
    total, count = ZERO, 0
    keys, owners, reasons = [], [], []
    for kind, team, prov, key_id, label, amount, allocated, redacted, owner, last_used, status, n in rows:
        if kind == "total":
            total, count = (ZERO if amount is None else amount), n
        elif kind == "reason":
            reasons.append((label, amount))
        elif kind == "key":
            keys.append([team, prov, label, amount, key_id, redacted, owner, bool(allocated), last_used, status])
        else:
            owners.append((team, prov, label, amount, bool(allocated)))
    missing = [k for k in keys if k[8] is None]
    if missing:  # the provider reports no last use: the key's last day with spend in the period, as before
        last = {tuple(r[:3]): r[3] for r in conn.execute(paths.sql("attribution/key_last_day"), {
            "team_ids": [k[0] for k in missing], "providers": [k[1] for k in missing],
            "api_key_ids": [k[4] for k in missing], "start": start, "end": end, "currency": currency})}
        for k in missing:
            k[8] = last.get((k[0], k[1], k[4]))
    return KeyPanel(
        currency=currency, total=total,
        keys=[KeyLine(t, p, label, a, _share(a, total), key_id, redacted, owner, al, last_used, st)
              for t, p, label, a, key_id, redacted, owner, al, last_used, st in keys],
        owners=[KeyLine(t, p, o, a, _share(a, total), allocated=al) for t, p, o, a, al in owners],
        unattributed=[KeyLine(team_id or "", provider or "", r, a, _share(a, total)) for r, a in sorted(reasons)],
        keys_count=count)


def _month_plan(start: date, end: date) -> tuple[list[date], list[tuple[date, date]]]:
    """``[start, end)`` as the whole months inside it (spend_key_monthly) and the day ranges left (daily rows)."""
    months: list[date] = []
    ranges: list[tuple[date, date]] = []
    day = start
    while day < end:
        first = day.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        if day == first and after <= end:
            months.append(first)
        else:
            ranges.append((day, min(after, end)))
        day = after
    return months, ranges


def key_panel_from_cost_data(conn: psycopg.Connection, start: date, end: date, *, currency: str = "usd",
                             team_id: str | None = None, provider: str | None = None,
                             teams: list[str] | None = None) -> KeyPanel:
    """:func:`key_panel` read from cost_data (``key_spend.sql``, issue 26's first read): the reference its
    rollup read is tested against."""
    rows = conn.execute(paths.sql("attribution/key_spend"), {"start": start, "end": end, "team_id": team_id,
                                                              "provider": provider, "teams": teams}).fetchall()
    rows = [r for r in rows if r[3] == currency]
    total = exact_sum(r[5] for r in rows)
    keys, owners, reasons = [], {}, {}
    for team, prov, key_id, _cur, reason, amount, allocated, name, redacted, owner, last_used, last_day, status in rows:
        if key_id is None:
            reasons[reason] = add(reasons.get(reason, ZERO), amount)
            continue
        keys.append(KeyLine(team, prov, name or key_id, amount, _share(amount, total), key_id, redacted, owner,
                            bool(allocated), last_used or last_day, status))
        who = (team, owner or "(unknown owner)")
        held = owners.get(who)
        owners[who] = (add(held[0], amount) if held else amount, prov if not held or held[1] == prov else "",
                       bool(allocated) or (held[2] if held else False))
    # Ties by label, then team, provider and key (before the rollups: by label, then the GROUP BY's order).
    keys.sort(key=lambda k: (-k.amount, k.label, k.team_id, k.provider, k.api_key_id))
    owner_lines = sorted((KeyLine(t, p, o, a, _share(a, total), allocated=al) for (t, o), (a, p, al) in owners.items()),
                         key=lambda k: (-k.amount, k.label, k.team_id))
    unattributed = [KeyLine(team_id or "", provider or "", r, a, _share(a, total)) for r, a in sorted(reasons.items())]
    return KeyPanel(currency=currency, total=total, keys=keys[:TOP], owners=owner_lines[:TOP],
                    unattributed=unattributed, keys_count=len(keys))


@dataclass(frozen=True)
class KeyPage:
    """One key: what names it, its daily spend per model, and its unit costs where usage exists."""

    team_id: str
    provider: str
    api_key_id: str
    key: dict[str, Any] | None
    days: list[tuple]
    models: list[dict[str, Any]]
    total: Decimal
    allocated: bool


def key_page(conn: psycopg.Connection, team_id: str, provider: str, api_key_id: str, start: date,
             end: date) -> KeyPage:
    """The key's page data for ``[start, end)``."""
    params = {"team_id": team_id, "provider": provider, "api_key_id": api_key_id, "start": start, "end": end}
    cur = conn.execute(paths.sql("attribution/key_get"), params)
    row = cur.fetchone()
    key = dict(zip([c.name for c in cur.description], row, strict=True)) if row else None
    days = conn.execute(paths.sql("attribution/key_days"), params).fetchall()
    tokens = {m: (t, r) for m, t, r in conn.execute(paths.sql("attribution/key_tokens"), params).fetchall()}
    per_model: dict[str, Decimal] = {}
    for _day, model, _currency, amount, _allocated in days:
        per_model[model] = add(per_model.get(model, ZERO), amount)
    models = []
    for model, amount in sorted(per_model.items(), key=lambda kv: -kv[1]):
        count, requests = tokens.get(model, (None, None))
        unit = (amount * 1_000_000 / count).quantize(Decimal("0.000001")) if count else None
        models.append({"model": model, "amount": amount, "tokens": count, "requests": requests,
                       "cost_per_1m_tokens": unit})
    return KeyPage(team_id=team_id, provider=provider, api_key_id=api_key_id, key=key, days=days, models=models,
                   total=exact_sum(d[3] for d in days), allocated=any(d[4] for d in days))
