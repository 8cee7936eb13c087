"""The collection pipeline's steps, each called by one task of a provider's DAG (``openai_costs_daily``, ...)."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from finops import defaults, paths, timings
from finops.errors import ConfigurationError, FinopsError, UsageError
from finops.money import EXACT, exact_sum, plain
from finops.side_requests import SideRequests
from finops.warehouse.db import connect
from finops.warehouse.failures import explain as explain_database_error
from finops.warehouse.loader import DropGuard, Window, record_failure, replace_window

log = logging.getLogger(__name__)

DEFAULT_LOOKBACK_DAYS = defaults.DEFAULT_LOOKBACK_DAYS
DEFAULT_THRESHOLD = defaults.DEFAULT_SUCCESS_RATE_THRESHOLD
DEFAULT_MAX_SETTLED_DROP = defaults.DEFAULT_MAX_SETTLED_DROP
MAX_WINDOW_DAYS = 3660


class NoProjectsRegistered(FinopsError):
    """A team without scopes (project or workspace IDs) for a provider cannot be filtered, so it is not collected."""


class SuccessRateBelowThreshold(FinopsError):
    """Too few teams were collected in a run."""


# -- window -----------------------------------------------------------------------------------
def _as_date(value: Any, name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise UsageError(f"The param {name} must be a date like 2026-01-31 (got {value!r}).") from None


def resolve_window(
    data_interval_start: datetime | None,
    data_interval_end: datetime | None,
    *,
    run_after: datetime | None = None,
    lookback_days: int,
    start_date: Any = None,
    end_date: Any = None,
    today: date | None = None,
) -> Window:
    """The UTC days a run collects.

    Scheduled, backfill and plain manual runs: the data interval's days (one UTC day) plus
    ``lookback_days`` earlier days, which are re-collected because costs settle late. A manual
    run without a logical date (Airflow 3's default trigger) has no data interval: it covers the
    UTC day before it was triggered. With the ``start_date``/``end_date`` params (inclusive
    dates) the run loads exactly that range.
    """
    today = today or datetime.now(UTC).date()
    if data_interval_start is None or data_interval_end is None:
        anchor = (run_after or datetime.now(UTC)).astimezone(UTC)
        data_interval_end = anchor.replace(hour=0, minute=0, second=0, microsecond=0)
        data_interval_start = data_interval_end - timedelta(days=1)
    first, last = _as_date(start_date, "start_date"), _as_date(end_date, "end_date")
    if first or last:
        if not (first and last):
            raise UsageError("Give both start_date and end_date (inclusive) to load a range, or neither.")
        if first > last:
            raise UsageError(f"start_date {first} is after end_date {last}; swap them.")
        window = Window(first, last + timedelta(days=1))
    else:
        if lookback_days < 0:
            raise UsageError(f"lookback_days must be 0 or more (got {lookback_days}).")
        start = data_interval_start.astimezone(UTC).date()
        end = data_interval_end.astimezone(UTC).date()
        if data_interval_end.astimezone(UTC).time() != datetime.min.time() or end <= start:
            end += timedelta(days=1)  # a partial or zero-length interval still covers its day
        window = Window(start - timedelta(days=lookback_days), end)
    if window.start > today:
        raise UsageError(f"The window {window} is in the future (today is {today} UTC); costs exist only for past days.")
    if window.end > today + timedelta(days=1):
        window = Window(window.start, today + timedelta(days=1))
    if window.days > MAX_WINDOW_DAYS:
        raise UsageError(f"The window {window} spans {window.days} days; load at most {MAX_WINDOW_DAYS} days per run.")
    return window


def reference_date(data_interval_end: datetime | None, run_after: datetime | None) -> date | None:
    """The run's own "today": its data interval's end, else when it was triggered (UTC); never the wall clock."""
    anchor = data_interval_end or run_after
    return anchor.astimezone(UTC).date() if anchor is not None else None


def settled_before(reference: date, settle_days: int) -> date:
    """The first day not yet settled for a run whose reference date is ``reference`` (docs/data-quality.md)."""
    return reference - timedelta(days=max(0, settle_days))


def max_settled_drop(setting: object = None) -> Decimal:
    """The variable ``finops_max_settled_drop``: the share of a settled day's total a reload may lose (0 to 1)."""
    if setting in (None, ""):
        return DEFAULT_MAX_SETTLED_DROP
    text = str(setting).strip()
    try:
        value = Decimal(text.removesuffix("%")) / (100 if text.endswith("%") else 1)
        valid = 0 <= value <= 1
    except ArithmeticError:  # not a number, or NaN
        valid = False
    if not valid:
        raise ConfigurationError(
            f"The Airflow variable `finops_max_settled_drop` is {setting!r}; set it to a share between 0 and 1 "
            "(0.5 refuses a reload that loses more than half of a settled day's total)."
        )
    return value


# -- teams ------------------------------------------------------------------------------------
def select_teams(requested: list[str] | None, provider: str = "openai") -> list[str]:
    """Active team ids to collect for ``provider``: all its teams, or the requested ones (unknown or inactive: an error)."""
    with connect() as conn:
        if not requested:
            return [row[0] for row in conn.execute(paths.sql("collection/active_team_ids"), {"provider": provider})]
        known = dict(conn.execute(paths.sql("collection/known_team_ids"), {"team_ids": list(requested)}).fetchall())
    unknown = sorted(set(requested) - set(known))
    if unknown:
        raise UsageError(f"Unknown team ids in team_ids: {', '.join(unknown)}; see `finops teams list`.")
    inactive = sorted(t for t, active in known.items() if not active)
    if inactive:
        raise UsageError(f"Deactivated teams in team_ids: {', '.join(inactive)}; reactivate them with `finops teams add`.")
    return list(dict.fromkeys(requested))


# -- one team ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class TeamResult:
    """What a collection task returns (XCom): counts and totals only, never a secret."""

    team_id: str
    window_start: str
    window_end: str
    rows: int
    pages: int
    requests: int
    retries: int
    amount_total: str
    provider: str = "openai"
    skipped_total: str = "0"

    def as_xcom(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(eq=False)
class TeamStart:
    """A team's collection begun ahead of its load (:func:`start_team`): its scopes, its key (in this task's memory
    only, until the costs are asked for) and its usage and key-list requests, running; or why it could not begin."""

    team_id: str
    started_at: datetime
    scope_ids: list[str] = field(default_factory=list)
    api_key: str | None = field(default=None, repr=False)
    side: SideRequests | None = None
    error: Exception | None = None
    steps: timings.Timings | None = None

    def take_key(self) -> str:
        """The key, forgotten here once taken."""
        key, self.api_key = self.api_key, None
        return key

    def close(self) -> None:
        """Wait for the team's requests still running and forget the key (after a failure, nothing uses them)."""
        self.api_key = None
        if self.side is not None:
            self.side.close()


def start_team(team_id: str, window: Window, *, registry, client, provider: str = "openai", connections=None,
               requests_in_flight: int = 1) -> TeamStart:
    """Begin a team's collection: read its scopes and key, decrypt the key, and start its usage and key-list
    requests in threads of their own. Never raises: a failure is kept and raised by :func:`collect_team`, which
    records it as the team's attempt. The task starts the next team this way before loading the current one
    (fetch-ahead), so the next team's requests run during this team's load."""
    from finops.providers import provider as provider_spec
    from finops.usage.collect import configured_endpoints
    from finops.usage.load import stored_days

    spec = provider_spec(provider)
    begun = TeamStart(team_id, datetime.now(UTC))
    with timings.recording() as record:
        begun.steps = record
        try:
            endpoints = configured_endpoints(spec.name)
            # The registry's reads on the thread's kept connection (a batch's), else on new connections.
            with timings.step("registry"), (connections.transaction() if connections else nullcontext()) as kept:
                begun.scope_ids = [p.project_id for p in registry.projects(team_id, provider=spec.name, conn=kept)]
                # The usage days as last loaded: the side requests decode only the OpenAI days whose usage changed
                # (Anthropic's report is decoded whole, to be filtered per workspace: nothing to read ahead for).
                known = stored_days(kept, {"provider": spec.name, "team_id": team_id, "window_start": window.start,
                                           "window_end": window.end}) if endpoints and spec.name == "openai" else None
            if not begun.scope_ids:
                option = "" if spec.name == "openai" else f" --provider {spec.name}"
                raise NoProjectsRegistered(
                    f"Team {team_id} has no {spec.label} {spec.scope_noun}s registered, so its costs cannot be "
                    f"filtered; add them with `finops projects add {team_id} {spec.scope_example.split()[0]}{option}` "
                    "or on the FinOps page."
                )
            with timings.step("registry"), (connections.transaction() if connections else nullcontext()) as kept:
                ciphertext = registry.key_ciphertext(team_id, spec.name, conn=kept)
            begun.api_key = registry.decrypt_key(team_id, spec.name, ciphertext=ciphertext)  # the kms_decrypt step
            begun.side = SideRequests(spec.name, client, begun.api_key, window, begun.scope_ids,
                                      in_flight=requests_in_flight, endpoints=endpoints, known_days=known)
        except Exception as exc:  # noqa: BLE001 - raised and recorded by collect_team
            begun.error = exc
            begun.close()
    return begun


def collect_team(team_id: str, window: Window, *, dag_run_id: str | None, registry=None, client=None,
                 guard: DropGuard | None = None, provider: str = "openai", connections=None,
                 rollups=None, requests_in_flight: int = 1, begun: TeamStart | None = None) -> TeamResult:
    """Decrypt the team's key for ``provider``, fetch its costs for the window and replace them in the warehouse.

    Every attempt is recorded in ``collection_runs``; a failure (a settled day dropping beyond the
    ``guard`` included) leaves the team's rows as they were. What unregistered scopes cost (Anthropic
    reports every workspace) is recorded with the run and logged, so an admin notices a missing one.
    ``connections`` (finops.warehouse.db.KeptConnections) lets a batch's loads share warehouse connections, and
    ``rollups`` (finops.analytics.rollups.RollupBatch) applies their changes to the rollups together.
    ``requests_in_flight`` (the variable ``finops_team_requests_in_flight``) lets that many of the team's usage and
    key-list requests run side by side. ``begun``: the team's :func:`start_team`, when the task began it ahead.
    """
    from finops.attribution.allocation import allocate_rows
    from finops.attribution.store import KeysLoad
    from finops.providers import provider as provider_spec
    from finops.registry import Registry

    spec = provider_spec(provider)
    registry = registry or Registry()
    client = client or registry.client(spec.name)
    if begun is None:
        begun = start_team(team_id, window, registry=registry, client=client, provider=spec.name,
                           connections=connections, requests_in_flight=requests_in_flight)
    record = timings.current()
    if record is not None and begun.steps is not None:  # the start's steps, wherever it ran, are the team's
        for name, seconds in begun.steps.seconds.items():
            record.add(name, seconds)
        for name, n in begun.steps.counts.items():
            record.counts[name] = record.counts.get(name, 0) + n
    started_at = begun.started_at
    stream = None
    try:
        if begun.error is not None:
            raise begun.error
        scope_ids = begun.scope_ids
        stream = client.costs(begun.take_key(), window.start, window.end, scope_ids)
        usage, key_list = begun.side.result(stream.stats)
        keys = KeysLoad(key_list, scope_ids)
        # Anthropic's cost report has no key: token costs are allocated over the keys' usage (docs/attribution.md).
        rows = allocate_rows(stream, usage.rows) if spec.name == "anthropic" and usage is not None else stream
        inner = record.seconds.get("load_usage", 0.0) + record.seconds.get("load_keys", 0.0) if record else 0.0
        with timings.step("spool"):  # the stream's fetch and parse, and the rollups' batch, are steps of their own
            result = replace_window(team_id, window, rows, dag_run_id=dag_run_id, started_at=started_at,
                                    stats=stream, guard=guard, provider=spec.name, connections=connections,
                                    rollups=rollups, usage=timings.timed_load(usage, "load_usage"),
                                    keys=timings.timed_load(keys, "load_keys"))
        if record is not None:  # the transaction's own seconds (less the usage and key loads in it) are "load"
            inner = record.seconds.get("load_usage", 0.0) + record.seconds.get("load_keys", 0.0) - inner
            record.add("spool", -(result.transaction_seconds - inner))
            record.add("load", result.transaction_seconds - inner)
    except Exception as exc:
        begun.close()
        explained = explain_database_error(exc)  # a PostgreSQL failure of the load, as one sentence
        error = explained or exc
        message = str(error) if isinstance(error, FinopsError) else f"unexpected {type(exc).__name__}; see the task log"
        try:
            record_failure(team_id, window, message, dag_run_id=dag_run_id, started_at=started_at, stats=stream,
                           provider=spec.name)
        except Exception as record_exc:  # noqa: BLE001 - the load's own failure is what the task must report
            record_error = explain_database_error(record_exc) or record_exc
            log.warning("Could not record the failed attempt of team %s: %s", team_id, record_error)
        if explained is not None:
            log.warning("Team %s: the database said: %s", team_id, exc)
            raise explained from None
        raise
    seen = {day_currency for day_currency in result.per_day}
    log.info("Team %s (%s): %d rows, %s total, %d pages, %d requests, %d retries, window %s.",
             team_id, spec.name, result.rows, result.amount_total, stream.pages, stream.requests, stream.retries,
             window)
    for skipped in result.skipped:
        log.warning("Team %s: skipped %s %s in workspace %s (not registered; add it with `finops projects add %s %s "
                    "--provider %s`).", team_id, exact_text(skipped.amount), skipped.currency, skipped.scope_id, team_id,
                    skipped.scope_id, spec.name)
    if not seen:
        log.info("Team %s has no costs in %s (zero-cost days are normal).", team_id, window)
    return TeamResult(
        team_id=team_id, window_start=window.start.isoformat(), window_end=window.end.isoformat(), rows=result.rows,
        pages=stream.pages, requests=stream.requests, retries=stream.retries, amount_total=str(result.amount_total),
        provider=spec.name, skipped_total=str(exact_sum(sk.amount for sk in result.skipped)),
    )


def exact_text(amount: Decimal) -> str:
    """An amount as plain text, exact, without trailing zeros beyond the cents: 12.30, 0.004512."""
    text = plain(amount)  # not normalize(): it rounds to the default context's 28 digits
    return text if len(text.partition(".")[2]) >= 2 else f"{amount.quantize(Decimal('0.01'), context=EXACT):f}"


#: With ``finops_teams_per_task`` unset (``auto``): at most this many ``collect_team`` instances, so
#: up to this many teams each get their own instance and more teams are batched (docs/performance.md).
AUTO_MAX_TASKS = 20


def teams_per_task(team_count: int, setting: object = "auto") -> int:
    """Teams per mapped instance: the variable ``finops_teams_per_task``, or ``auto``."""
    text = str(setting).strip().lower() if setting is not None else "auto"
    if text in ("", "auto"):
        return max(1, -(-team_count // AUTO_MAX_TASKS))
    try:
        size = int(text)
    except ValueError:
        size = 0
    if size < 1:
        raise ConfigurationError(
            f"The Airflow variable `finops_teams_per_task` is {setting!r}; set it to a whole number of teams "
            "per task (1 or more) or to `auto`."
        )
    return size


def batches(team_ids: list[str], size: int) -> list[list[str]]:
    """Teams in batches of ``size`` (each batch one mapped task instance)."""
    size = max(1, int(size))
    return [team_ids[i:i + size] for i in range(0, len(team_ids), size)]


def batch_label(team_ids: list[str]) -> str:
    """The mapped task instance's label in the UI: the team id, or the first and last of a batch."""
    if len(team_ids) == 1:
        return team_ids[0]
    return f"{team_ids[0]} .. {team_ids[-1]} ({len(team_ids)} teams)"


def succeeded_teams(dag_run_id: str, window: Window, provider: str = "openai") -> set[str]:
    """Teams whose latest attempt in this DAG run for ``window`` succeeded."""
    with connect() as conn:
        rows = conn.execute(paths.sql("collection/succeeded_teams"), {
            "dag_run_id": dag_run_id, "window_start": window.start, "window_end": window.end,
            "provider": provider}).fetchall()
    return {r[0] for r in rows}


def collected_summary(provider: str, dag_run_id: str, window: Window) -> dict[str, Any]:
    """The teams this run collected for ``window`` and their rows and total (an Asset event's extra)."""
    with connect() as conn:
        rows = conn.execute(paths.sql("collection/run_collected_teams"), {
            "provider": provider, "dag_run_id": dag_run_id,
            "window_start": window.start, "window_end": window.end}).fetchall()
    return {
        "provider": provider, "window_start": window.start.isoformat(), "window_end": window.end.isoformat(),
        "teams": [r[0] for r in rows], "rows": sum(r[1] for r in rows),
        "amount_total": str(exact_sum(r[2] for r in rows)),
    }


def silent_projects(team_id: str, window: Window, provider: str = "openai", conn=None) -> list[str]:
    """Registered scopes of ``provider`` with no cost row in the window (a warning: idle projects are normal);
    ``conn``: on this open connection instead of a new one."""
    with nullcontext(conn) if conn is not None else connect() as conn:
        rows = conn.execute(paths.sql("collection/silent_projects"), {
            "team_id": team_id, "start": window.start, "end": window.end, "provider": provider}).fetchall()
    return [r[0] for r in rows]


# -- the run ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SuccessRate:
    teams_total: int
    teams_succeeded: int
    rate: Decimal
    threshold: Decimal
    failed: dict[str, str]

    @property
    def passed(self) -> bool:
        return self.rate >= self.threshold

    def summary(self) -> str:
        lines = [f"Collection success rate {self.rate:.1%} ({self.teams_succeeded}/{self.teams_total} teams), "
                 f"threshold {self.threshold:.0%}: {'PASSED' if self.passed else 'BELOW THRESHOLD'}."]
        lines += [f"  failed: {team}: {reason}" for team, reason in sorted(self.failed.items())]
        return "\n".join(lines)


def measure_success_rate(dag_run_id: str, team_ids: list[str], threshold: Decimal,
                         provider: str = "openai") -> SuccessRate:
    """Successful teams / teams of the provider's run; a team with no recorded attempt counts as failed."""
    with connect() as conn:
        outcomes = {row[0]: (row[1], row[2]) for row in conn.execute(
            paths.sql("collection/run_outcomes"), {"dag_run_id": dag_run_id, "provider": provider})}
    failed = {t: (outcomes[t][1] if t in outcomes else "no attempt recorded (the task did not run or crashed)")
              for t in team_ids if outcomes.get(t, ("failed",))[0] != "success"}
    total = len(team_ids)
    succeeded = total - len(failed)
    rate = (Decimal(succeeded) / Decimal(total)).quantize(Decimal("0.0001")) if total else Decimal(1)
    return SuccessRate(total, succeeded, rate, threshold, failed)


def success_rate(dag_run_id: str, team_ids: list[str], window: Window, threshold: Decimal,
                 provider: str = "openai") -> SuccessRate:
    """Measure the provider's run success rate and record it in ``finops.success_rates``."""
    rate = measure_success_rate(dag_run_id, team_ids, threshold, provider)
    with connect() as conn:
        conn.execute(paths.sql("collection/success_rate_upsert"), {
            "provider": provider, "dag_run_id": dag_run_id, "window_start": window.start, "window_end": window.end,
            "teams_total": rate.teams_total, "teams_succeeded": rate.teams_succeeded, "success_rate": rate.rate,
            "threshold": threshold, "failed_teams": sorted(rate.failed),
        })
    return rate
