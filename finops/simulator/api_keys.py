"""The simulator's API keys and owners: which key spent which part of a scope's day, and the key list shapes.

A scope's (project's or workspace's) per-key costs and usage are its day's figures split over the keys that
exist that day in proportion to their weights (:func:`finops.money.allocate`), so per-key costs add up exactly
to the per-scope costs the endpoints serve without the key grouping.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from finops.money import ALLOCATION_PLACES, EXACT, allocate
from finops.simulator.config import ApiKeyConfig, stable_id
from finops.simulator.memo import per_org
from finops.simulator.randomness import unit_hash

#: Memo sizes: scopes (a bench year run has 100 teams x 10 projects) and (scope, day) pairs of weights.
SCOPE_MEMO, WEIGHTS_MEMO = 4096, 16384


def default_key_id(scope: str) -> str:
    """The one key of a scope the configuration gives no keys (what the usage endpoints always served)."""
    return stable_id("key_", f"usage/{scope}", 16)


@per_org(SCOPE_MEMO)
def scope_keys(org, scope: str) -> tuple[ApiKeyConfig, ...]:
    """The keys of a project or workspace (``default`` for Anthropic's default one), ordered by id (memoised)."""
    configured = [k for k in org.api_keys if k.scope == scope]
    if configured:
        return tuple(sorted(configured, key=lambda k: k.id))
    return (ApiKeyConfig(id=default_key_id(scope), name=f"{scope} service key", scope=scope,
                         owner_type="service_account", owner_id=stable_id("svc_", scope, 12),
                         owner_name=f"{scope}-service"),)


@per_org(WEIGHTS_MEMO)
def _weights(org, scope: str, day: date) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The ids and weights of the scope's keys that spend on ``day`` (memoised: every charge of the day asks)."""
    keys = [k for k in scope_keys(org, scope) if k.weight_on(day)]
    return tuple(k.id for k in keys), tuple(k.weight_on(day) for k in keys)


def all_keys(org, scopes: list[str]) -> list[ApiKeyConfig]:
    """Every key of the given scopes."""
    return [k for scope in scopes for k in scope_keys(org, scope)]


def split_amount(org, scope: str, day: date, amount: Decimal, places: int = ALLOCATION_PLACES,
                 ) -> list[tuple[str | None, Decimal]]:
    """``amount`` per key of the scope on ``day`` (exact parts); ``[(None, amount)]`` when no key exists that day."""
    ids, weights = _weights(org, scope, day)
    if not ids:
        return [(None, amount)]
    if len(ids) == 1:  # the whole amount, at allocate's quantum (10**-places, or the amount's own if finer)
        if amount.as_tuple().exponent > -places:
            amount = amount.quantize(Decimal(1).scaleb(-places), context=EXACT)
        return [(ids[0], amount)]
    return list(zip(ids, allocate(amount, weights, places), strict=True))


def split_count(org, scope: str, day: date, count: int) -> list[tuple[str | None, int]]:
    """A whole count (tokens, images, ...) per key of the scope on ``day``, summing to ``count``."""
    ids, weights = _weights(org, scope, day)
    if len(ids) <= 1:  # no key (None) or one: the whole count
        return [(ids[0] if ids else None, count)]
    return list(zip(ids, (int(part) for part in allocate(Decimal(count), weights, 0)), strict=True))


def _stamp(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _tail(key: ApiKeyConfig, length: int) -> str:
    return stable_id("", f"secret/{key.id}", length)


def openai_key(org, key: ApiKeyConfig, today: date) -> dict:
    """An ``organization.project.api_key`` object (only the redacted value of the secret, as OpenAI serves it)."""
    owner_id = key.owner_id or stable_id("user-" if key.owner_type == "user" else "svc_acct_", key.id, 16)
    person = {"id": owner_id, "name": key.owner_name, "role": "member" if key.owner_type == "user" else "owner",
              "created_at": _stamp(key.created_on)}
    if key.owner_type == "user":
        person["email"] = key.owner_email
    last_used = max((d for d in _spent_days(org, key, today)), default=None)
    return {"object": "organization.project.api_key", "id": key.id, "name": key.name,
            "redacted_value": f"sk-proj-****{_tail(key, 4)}", "created_at": _stamp(key.created_on),
            "last_used_at": _stamp(last_used) if last_used else None,
            "owner": {"type": key.owner_type, key.owner_type: person}}


def anthropic_key(key: ApiKeyConfig, today: date) -> dict:
    """An Anthropic ``api_key`` object (``partial_key_hint`` only); a deleted key is ``archived``."""
    deleted = key.deleted_on is not None and key.deleted_on <= today
    return {"id": key.id, "type": "api_key", "name": key.name,
            "workspace_id": None if key.scope == "default" else key.scope,
            "created_at": f"{key.created_on.isoformat()}T00:00:00Z",
            "created_by": {"id": key.owner_id or stable_id("user_", key.id, 16),
                           "type": "user" if key.owner_type == "user" else "service_account"},
            "partial_key_hint": f"sk-ant-api03-{_tail(key, 3)}...{_tail(key, 6)[-4:]}",
            "status": "archived" if deleted else "active"}


def _spent_days(org, key: ApiKeyConfig, today: date) -> list[date]:
    """A cheap stand-in for "last used": the last few days before ``today`` the key existed on."""
    from datetime import timedelta

    return [today - timedelta(days=n) for n in range(1, 4)
            if key.active_on(today - timedelta(days=n)) and unit_hash(org.seed, key.id, n, "used") < 0.9]
