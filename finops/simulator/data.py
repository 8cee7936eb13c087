"""Deterministic synthetic costs: every amount is a pure function of (seed, project, day, line item).

The costs endpoint and :func:`expected_costs` both read :func:`bucket_results`, so the totals a test
expects are, to the last digit, what the endpoint serves, whatever the page size or request order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from finops.money import ZERO, add
from finops.simulator.config import DEFAULT_LINE_ITEMS, EXTRA_LINE_ITEMS, Organization, SimulatorConfig
from finops.simulator.memo import per_org
from finops.simulator.randomness import _rng, unit_hash

UNASSIGNED = "unassigned"
CURRENCY = "usd"
LINE_ITEM_PRICES = {**DEFAULT_LINE_ITEMS, **EXTRA_LINE_ITEMS}
_QUANTITY_RANGE = {"tokens": (1_000, 4_000_000), "images": (1, 120), "duration_seconds": (30, 20_000)}
#: Memo sizes in (organization, project, day) entries: a team's year is 3,650 of them; the per-key splits
#: (up to 20 keys x 30 line items each) are kept for fewer, enough for the days one collection asks about.
CHARGES_MEMO, SPLITS_MEMO = 8192, 2048


@dataclass(frozen=True, slots=True)
class Charge:
    """One project's spend on one line item on one day (``unassigned``: served with project_id null)."""

    project_id: str
    line_item: str
    amount: float
    quantity: int
    quantity_unit: str
    unassigned: bool


@dataclass(frozen=True, slots=True)
class Result:
    """One result of a bucket as served, after grouping."""

    project_id: str | None
    line_item: str | None
    amount: float | Decimal
    quantity: int | None
    quantity_unit: str | None
    api_key_id: str | None = None


def _scenario_charges(org: Organization, project_id: str, day: date, revision: int) -> list[Charge]:
    """The project's share of the scenario's day, split over the line items in fixed shares."""
    from finops.simulator.scenarios import scenario_day, shares

    total = float(scenario_day(org.scenario, org.seed, day, revision).amount)
    if not total:
        return []
    items = org.line_items or list(DEFAULT_LINE_ITEMS)
    pairs = [(p.id, item) for p in sorted(org.projects, key=lambda p: p.id) for item in items]
    charges = []
    for (pid, item), share in zip(pairs, shares(org.seed, pairs), strict=True):
        if pid != project_id:
            continue
        price, unit = LINE_ITEM_PRICES.get(item, (1e-06, "tokens"))
        amount = total * share
        charges.append(Charge(
            project_id=pid, line_item=item, amount=amount, quantity=max(1, round(amount / price)), quantity_unit=unit,
            unassigned=unit_hash(org.seed, pid, day, item, "null-project") < org.faults.null_project_share))
    return charges


def _fixed_charge(org: Organization, project_id: str, day: date, item: str, amount: float) -> Charge:
    """One of the organization's ``daily_amounts``, as configured."""
    price, unit = DEFAULT_LINE_ITEMS.get(item, (1e-06, "tokens"))
    return Charge(project_id=project_id, line_item=item, amount=amount, quantity=max(1, round(amount / price)),
                  quantity_unit=unit,
                  unassigned=unit_hash(org.seed, project_id, day, item, "null-project") < org.faults.null_project_share)


def daily_charges(org: Organization, project_id: str, day: date, revision: int = 0) -> tuple[Charge, ...]:
    """The project's charges of the day (none on a zero-spend day); a scenario's share when it has one.

    Memoised: the costs endpoint (with and without the key grouping) and every usage endpoint read them.
    """
    return _daily_charges(org, project_id, day, revision)


@per_org(CHARGES_MEMO)
def _daily_charges(org: Organization, project_id: str, day: date, revision: int) -> tuple[Charge, ...]:
    if org.daily_amounts is not None:
        return tuple(_fixed_charge(org, project_id, day, item, amount)
                     for item, amount in sorted(org.daily_amounts.items()))
    if org.scenario is not None:
        return tuple(_scenario_charges(org, project_id, day, revision))
    if unit_hash(org.seed, project_id, day, "zero-day") < org.zero_day_share:
        return ()
    charges = []
    for item in org.line_items or list(DEFAULT_LINE_ITEMS):
        rng = _rng(org.seed, project_id, day, item)
        if rng.random() < 0.3:
            continue
        price, unit = LINE_ITEM_PRICES.get(item, (1e-06, "tokens"))
        low, high = _QUANTITY_RANGE.get(unit, (1, 50))
        quantity = rng.randint(low, high)
        charges.append(Charge(
            project_id=project_id,
            line_item=item,
            amount=quantity * price,
            quantity=quantity,
            quantity_unit=unit,
            unassigned=unit_hash(org.seed, project_id, day, item, "null-project") < org.faults.null_project_share,
        ))
    return tuple(charges)


def bucket_results(
    org: Organization,
    day: date,
    project_ids: Iterable[str] | None,
    *,
    by_project: bool = True,
    by_line_item: bool = True,
    by_api_key: bool = False,
    revision: int = 0,
) -> list[Result]:
    """The results of one daily bucket, grouped as requested (float sums in a fixed order).

    ``by_api_key``: each charge is split over its project's keys (:mod:`finops.simulator.api_keys`) into exact
    decimal parts that add up to the amount served without the key grouping.
    """
    wanted = None if project_ids is None else set(project_ids)
    if by_api_key:
        return _key_results(org, day, wanted, by_project=by_project, by_line_item=by_line_item, revision=revision)
    groups: dict[tuple[str | None, str | None], list[Charge]] = {}
    for project in sorted(org.projects, key=lambda p: p.id):
        if wanted is not None and project.id not in wanted:
            continue
        for charge in daily_charges(org, project.id, day, revision):
            pid = charge.project_id if by_project and not charge.unassigned else None
            groups.setdefault((pid, charge.line_item if by_line_item else None), []).append(charge)
    results = []
    for (pid, item), charges in sorted(groups.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or "")):
        amount = 0.0
        for charge in charges:
            amount += charge.amount
        units = {c.quantity_unit for c in charges}
        results.append(Result(
            project_id=pid,
            line_item=item,
            amount=amount,
            quantity=sum(c.quantity for c in charges) if by_line_item else None,
            quantity_unit=units.pop() if by_line_item and len(units) == 1 else None,
        ))
    return results


def days(start: date, end: date) -> list[date]:
    """The UTC days of ``[start, end)``."""
    return [start + timedelta(days=n) for n in range((end - start).days)]


def exact(amount: float) -> Decimal:
    """The exact decimal a client reads from the served JSON number (its shortest repr)."""
    return Decimal(repr(amount))


def expected_costs(
    config: SimulatorConfig, org_id: str, start: date, end: date, project_ids: Sequence[str] | None = None,
    revision: int = 0,
) -> dict[tuple[date, str, str, str], Decimal]:
    """Totals per (usage_date, project_id, line_item, currency) that the costs endpoint serves for the window.

    Grouped by project and line item as the collector asks; null project IDs count as ``unassigned``.
    ``revision``: the organization's restatement count (``POST /_simulator/restate``).
    """
    org = config.organization(org_id)
    totals: dict[tuple[date, str, str, str], Decimal] = {}
    for day in days(start, end):
        for result in bucket_results(org, day, project_ids, revision=revision):
            key = (day, result.project_id or UNASSIGNED, result.line_item or "", CURRENCY)
            totals[key] = add(totals.get(key, ZERO), exact(result.amount))
    return totals


def keyed_charge(charge: Charge) -> bool:
    """Whether a charge is reported per API key: a keyed request's cost, not storage nor an unassigned project."""
    from finops.simulator.usage_data import _openai_target

    target = _openai_target(charge.line_item)
    return not charge.unassigned and target is not None and target[0] != "vector_stores"


@dataclass(frozen=True, slots=True)
class CountSplit:
    """A charge of the day and its quantity per API key (``((None, quantity),)`` for unkeyed cost)."""

    charge: Charge
    keyed: bool
    counts: tuple[tuple[str | None, int], ...]


@per_org(SPLITS_MEMO)
def count_splits(org: Organization, project_id: str, day: date, revision: int = 0) -> tuple[CountSplit, ...]:
    """The project's charges of the day with their quantities per key (memoised: costs and usage share them)."""
    from finops.simulator.api_keys import split_count

    out = []
    for charge in daily_charges(org, project_id, day, revision):
        keyed = keyed_charge(charge)
        counts = split_count(org, project_id, day, charge.quantity) if keyed else [(None, charge.quantity)]
        out.append(CountSplit(charge, keyed, tuple(counts)))
    return tuple(out)


def _amount_splits(org: Organization, project_id: str, day: date, revision: int
                   ) -> list[tuple[Charge, bool, list[tuple[str | None, Decimal, int]]]]:
    """:func:`count_splits` with each charge's exact amount per key: (charge, keyed, [(key id, amount, count)])."""
    from finops.simulator.api_keys import split_amount

    out = []
    for split in count_splits(org, project_id, day, revision):
        amount = exact(split.charge.amount)
        parts = split_amount(org, project_id, day, amount) if split.keyed else [(None, amount)]
        # Both splits follow the ids of the keys that spend that day, in the same order.
        out.append((split.charge, split.keyed,
                    [(key_id, part, count) for (key_id, part), (_, count) in zip(parts, split.counts, strict=True)]))
    return out


def _group_order(kv: tuple) -> tuple[str, str, str]:
    pid, item, key_id = kv[0]
    return pid or "", item or "", key_id or ""


def _key_results(org: Organization, day: date, wanted: set[str] | None, *, by_project: bool, by_line_item: bool,
                 revision: int) -> list[Result]:
    """A bucket's results grouped by API key too: exact decimal parts per key (null for unkeyed cost)."""
    groups: dict[tuple[str | None, str | None, str | None], list] = {}
    for project in sorted(org.projects, key=lambda p: p.id):
        if wanted is not None and project.id not in wanted:
            continue
        for charge, keyed, shares in _amount_splits(org, project.id, day, revision):
            pid = charge.project_id if by_project and not charge.unassigned else None
            item = charge.line_item if by_line_item else None
            unit = charge.quantity_unit
            for key_id, part, count in shares:
                group = groups.get((pid, item, key_id))
                if group is None:  # [exact sum, quantity, units, float sum of unkeyed cost]
                    groups[(pid, item, key_id)] = ([add(ZERO, part), count, {unit}, None] if keyed
                                                   else [ZERO, count, {unit}, charge.amount])
                    continue
                if keyed:
                    group[0] = add(group[0], part)
                else:  # key_id is None: unkeyed cost is added as floats in project order, as served without keys
                    group[3] = charge.amount if group[3] is None else group[3] + charge.amount
                group[1] += count
                group[2].add(unit)
    results = []
    for (pid, item, key_id), (amount, quantity, units, floats) in sorted(groups.items(), key=_group_order):
        if floats is not None:
            amount = add(amount, exact(floats))
        results.append(Result(project_id=pid, line_item=item, amount=amount,
                              quantity=quantity if by_line_item else None,
                              quantity_unit=units.pop() if by_line_item and len(units) == 1 else None,
                              api_key_id=key_id))
    return results
