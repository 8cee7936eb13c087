"""Bodies of the collection DAGs' tasks, per provider: a few lines each over the library (finops.pipeline_dag)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from finops import collection, defaults, timings
from finops.errors import ConfigurationError, FinopsError
from finops.warehouse.loader import DropGuard, Window

log = logging.getLogger(__name__)


def _window(window_start: str, window_end: str) -> Window:
    return Window(date.fromisoformat(window_start), date.fromisoformat(window_end))


@dataclass(frozen=True)
class RunFacts:
    """What a task needs from its Airflow context, read once so the bodies stay testable without Airflow.

    ``reference_date`` is the run's own "today" (data interval end, else ``run_after``); None means
    the window's end, as for the scheduled run that collects it. ``retry`` is true only for an
    automatic retry in a run never cleared: the first try, and any try after an Airflow *Clear*
    (of a finished or a running task), is not one.
    """

    reference_date: date | None = None
    allow_drops: bool = False
    retry: bool = False


def run_facts(context: Any) -> RunFacts:
    """RunFacts from a task's context (``get_current_context()``)."""
    dag_run = context.get("dag_run")
    reference = collection.reference_date(context.get("data_interval_end"), getattr(dag_run, "run_after", None))
    ti = context.get("ti")
    retry = False
    if ti is not None:
        # A Clear of a finished task sets max_tries = try_number + retries, so its try sequence starts at
        # max_tries - retries + 1. A Clear of a *running* one only marks it restarting: when the killed
        # try is then failed (an executor's failure event, a missed heartbeat), the next try follows it as
        # an automatic retry would, max_tries unchanged. What every Clear does change is the run's
        # clear_number (Airflow's clear_task_instances); no retry does. So a later try is a retry only in a
        # run never cleared; after a Clear, later tries collect every team (correct, only slower).
        first_try = int(ti.max_tries) - int(getattr(ti.task, "retries", 0) or 0) + 1
        clears = getattr(dag_run, "clear_number", None)
        retry = int(ti.try_number) > max(1, first_try) and not clears
    allow = (context.get("params") or {}).get("allow_drops", False)
    return RunFacts(reference_date=reference, allow_drops=allow is True or str(allow).lower() == "true", retry=retry)


def _settle_days() -> int:
    from finops.lookup import get_variable

    return int(get_variable(defaults.LOOKBACK_DAYS_VARIABLE, defaults.DEFAULT_LOOKBACK_DAYS))


def _stats():
    from airflow.sdk.observability.stats import Stats

    return Stats


def list_active_teams_task(requested: list[str], provider: str = "openai") -> list[str]:
    from airflow.sdk.exceptions import AirflowFailException

    from finops.errors import UsageError

    try:
        team_ids = collection.select_teams(requested, provider)
    except UsageError as exc:
        raise AirflowFailException(str(exc)) from None
    log.info("%d teams to collect: %s", len(team_ids), ", ".join(team_ids) or "none (register one with `finops teams add`)")
    return team_ids


def plan_window_task(params: dict, data_interval_start, data_interval_end, run_after=None) -> dict:
    from airflow.sdk.exceptions import AirflowFailException

    from finops.errors import UsageError
    from finops.lookup import get_variable

    lookback = params.get("lookback_days")
    if lookback is None:
        lookback = get_variable(defaults.LOOKBACK_DAYS_VARIABLE, defaults.DEFAULT_LOOKBACK_DAYS)
    try:
        window = collection.resolve_window(
            data_interval_start, data_interval_end, run_after=run_after, lookback_days=int(lookback),
            start_date=params.get("start_date"), end_date=params.get("end_date"),
        )
    except UsageError as exc:
        raise AirflowFailException(str(exc)) from None
    log.info("Window %s (%d days, end exclusive %s).", window, window.days, window.end)
    return {"window_start": window.start.isoformat(), "window_end": window.end.isoformat()}


def data_docs_dir():
    """Where the Data Docs site is written: ``$AIRFLOW_HOME/finops_data_docs``."""
    import os
    from pathlib import Path

    return Path(os.environ.get("AIRFLOW_HOME", Path.home() / "airflow")) / "finops_data_docs"


def batch_teams_task(team_ids: list[str]) -> list[list[str]]:
    from finops.lookup import get_variable

    size = collection.teams_per_task(len(team_ids), get_variable(defaults.TEAMS_PER_TASK_VARIABLE, defaults.DEFAULT_TEAMS_PER_TASK))
    result = collection.batches(team_ids, size)
    log.info("%d teams in %d collect_team instances of up to %d team(s) each.", len(team_ids), len(result), size)
    return result


def _requests_in_flight(value: object) -> int:
    """``finops_team_requests_in_flight`` as a number from 1 to MAX_TEAM_REQUESTS_IN_FLIGHT, or one sentence."""
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if not 1 <= number <= defaults.MAX_TEAM_REQUESTS_IN_FLIGHT:
        raise ConfigurationError(
            f"The Airflow variable `{defaults.TEAM_REQUESTS_IN_FLIGHT_VARIABLE}` is {str(value)[:20]!r}; set a whole "
            f"number from 1 (one request after the other) to {defaults.MAX_TEAM_REQUESTS_IN_FLIGHT}.")
    return number


def collect_teams_task(team_ids: list[str], window_start: str, window_end: str, dag_run_id: str,
                       facts: RunFacts | None = None, provider: str = "openai",
                       task_timings: dict | None = None) -> list[dict]:
    """Collect a batch of teams (one team by default), each in its own transaction and collection record.

    A retry within one try sequence skips the teams this run already collected, so it redoes only
    what failed; the first try (a new run, or a run or task cleared in Airflow) collects every team.
    Any transient failure makes the task retry; otherwise a permanent one (bad key, no scope,
    undecryptable key, no projects, a settled day that dropped) fails it at once. The message names
    every failed team. ``task_timings`` (a dict) receives the task's own steps' seconds and the sum of its
    teams' steps (finops.timings), pushed by the DAG as the XCom ``timings``; the results stay counts only.
    """
    import time
    from concurrent.futures import ThreadPoolExecutor

    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    from finops.analytics.rollups import RollupBatch
    from finops.costs import client_for
    from finops.hooks.kms import KmsHook
    from finops.lookup import get_variable
    from finops.registry import Registry
    from finops.warehouse.db import KeptConnections

    began = time.perf_counter()
    facts = facts or RunFacts()
    window = _window(window_start, window_end)
    done = collection.succeeded_teams(dag_run_id, window, provider) if facts.retry and len(team_ids) > 1 else set()
    todo = [t for t in team_ids if t not in done]
    if done:
        log.info("Already collected by an earlier try of this task, skipped: %s", ", ".join(sorted(done)))
    guard = None
    if not facts.allow_drops:
        settled = collection.settled_before(facts.reference_date or window.end, _settle_days())
        try:
            guard = DropGuard(settled, collection.max_settled_drop(
                get_variable(defaults.MAX_SETTLED_DROP_VARIABLE, None)))
        except FinopsError as exc:
            raise AirflowFailException(str(exc)) from None
    else:
        log.warning("The param allow_drops is set: settled days may load lower totals than were loaded before.")
    try:
        in_flight = _requests_in_flight(get_variable(defaults.TEAM_REQUESTS_IN_FLIGHT_VARIABLE,
                                                     defaults.DEFAULT_TEAM_REQUESTS_IN_FLIGHT))
    except FinopsError as exc:
        raise AirflowFailException(str(exc)) from None
    mark = time.perf_counter()
    kms = _kms_hook(KmsHook)
    kms_client_s = time.perf_counter() - mark

    queue, queue_lock = iter(todo), threading.Lock()

    def begin_next():
        """The next team of the batch, begun (its key decrypted, its usage and key-list requests started), or None."""
        with queue_lock:
            team_id = next(queue, None)
        if team_id is None:
            return None
        began_team = time.perf_counter()
        with timings.recording() as record, timings.step("client"):
            client = client_for(provider)
        begun = collection.start_team(team_id, window, registry=Registry(kms=kms), client=client, provider=provider,
                                      connections=connections, requests_in_flight=in_flight)
        return team_id, client, begun, record, time.perf_counter() - began_team

    def collect_one(ahead) -> tuple:
        team_id, client, begun, record, begin_seconds = ahead
        # The team's wall time in its thread: its start and its own turn, not the previous team's load in between.
        began_team = time.perf_counter() - begin_seconds
        with timings.recording() as own_record:
            own_record.seconds.update(record.seconds)
            try:
                result = collection.collect_team(team_id, window, dag_run_id=dag_run_id,
                                                 registry=Registry(kms=kms), client=client, guard=guard,
                                                 provider=provider, connections=connections, rollups=timed_rollups,
                                                 requests_in_flight=in_flight, begun=begun)
                return team_id, result, None, _team_record(own_record, began_team)
            except Exception as exc:  # reported per team below; the batch decides retry or fail
                return team_id, None, exc, _team_record(own_record, began_team)
            finally:
                client.close()

    def collect_in_turn() -> list[tuple]:
        """One thread's teams: each next team is begun before the current one is loaded (fetch-ahead), so its
        requests run during that load; at most two teams a thread are under way."""
        done, current = [], begin_next()
        while current is not None:
            following = begin_next()
            done.append(collect_one(current))
            current = following
        return done

    threads = max(1, min(int(get_variable(defaults.THREADS_PER_TASK_VARIABLE, defaults.DEFAULT_THREADS_PER_TASK)), len(todo)))
    # Each thread's loads share one warehouse connection (a broken one is replaced for the thread's next team);
    # their changes to the rollups are applied a batch at a time, the last ones once every team is done.
    own: dict[str, float] = {"setup": time.perf_counter() - began - kms_client_s, "kms_client": kms_client_s}
    with KeptConnections() as connections:
        rollups = RollupBatch(connections)
        timed_rollups = _TimedRollups(rollups)
        mark = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="collect") as pool:
            by_team = {o[0]: o for part in pool.map(lambda _: collect_in_turn(), range(threads)) for o in part}
        outcomes = [by_team[t] for t in todo]
        own["teams"] = time.perf_counter() - mark
        mark = time.perf_counter()
        _update_rollups(rollups, connections, provider, dag_run_id, team_ids)
        own["rollups"] = time.perf_counter() - mark
        mark = time.perf_counter()
        silent = _silent_projects([o[0] for o in outcomes if o[2] is None], window, provider, connections)
        own["silent_projects"] = time.perf_counter() - mark

    stats = _stats()
    results, transient, permanent = [], [], []
    team_steps: dict[str, dict] = {}
    for team_id, result, exc, record in outcomes:
        timings.merge(team_steps, record)
        if exc is None:
            stats.incr("finops.collection.rows_loaded", result.rows)
            if result.retries:
                stats.incr("finops.api.retries", result.retries)
            for project_id in silent.get(team_id, ()):
                log.warning("Team %s: registered scope %s returned no costs in %s (normal when idle; otherwise "
                            "check the ID belongs to this key's organization).", team_id, project_id, window)
            results.append(result.as_xcom())
            continue
        stats.incr("finops.collection.team_failed", tags={"team_id": team_id})
        message = str(exc) if isinstance(exc, FinopsError) else f"unexpected {type(exc).__name__}: see the log"
        if not isinstance(exc, FinopsError):
            log.error("Team %s failed", team_id, exc_info=exc)
        (transient if not isinstance(exc, FinopsError) or exc.retryable else permanent).append(
            f"Team {team_id}: {message}")
    own["threads"] = threads
    if task_timings is not None:
        task_timings.update({"task": own, "teams": team_steps, "team_count": len(todo)})
    log.info("Timings of this task (s): %s; its teams' steps summed over threads: %s.", own, team_steps.get("seconds"))
    if transient:
        raise AirflowException("; ".join(transient + permanent) + " (will retry; the teams collected are skipped)")
    if permanent:
        raise AirflowFailException("; ".join(permanent))
    return results


_KMS_HOOKS: dict[str, Any] = {}
_KMS_LOCK = threading.Lock()


def _kms_hook(hook_class):
    """One KMS hook (one boto3 client, thread-safe) per worker process, shared by every batch it runs: creating
    one costs ~0.2-0.35 s of CPU (docs/performance.md, section 2). Under a scheduler each task is its own process
    anyway; ``airflow dags test`` runs every instance in one."""
    import hashlib
    import json

    try:  # reused only while the connection is the same (a changed endpoint or credentials get a new client)
        conn = hook_class.get_connection(hook_class.default_conn_name)
        identity = hashlib.sha256(json.dumps([conn.conn_type, conn.host, conn.login, conn.password, conn.extra],
                                             default=str).encode()).hexdigest()
    except Exception:  # noqa: BLE001 - no connection (an IAM role): a client of its own, as before
        identity = None
    with _KMS_LOCK:
        hook = _KMS_HOOKS.get(identity) if identity else None
        if hook is None:
            hook = hook_class()
            hook.conn  # noqa: B018 - the client, created before the threads share it
            if identity:
                _KMS_HOOKS.clear()
                _KMS_HOOKS[identity] = hook
        return hook


def _silent_projects(team_ids: list[str], window: Window, provider: str, connections) -> dict[str, list[str]]:
    """Each collected team's registered scopes without costs in the window, on the task's kept connection."""
    with connections.transaction() as conn:
        return {t: collection.silent_projects(t, window, provider, conn=conn) for t in team_ids}


def _team_record(record, began: float) -> dict:
    """The team's steps, and under ``other`` the rest of its wall time in its thread."""
    import time

    record.add("other", max(0.0, time.perf_counter() - began - sum(record.seconds.values())))
    return record.as_dict()


class _TimedRollups:
    """The task's RollupBatch, its ``add`` (which may apply a batch) timed as the team's ``rollups`` step."""

    def __init__(self, batch) -> None:
        self._batch = batch

    def add(self, change) -> None:
        with timings.step("rollups"):
            self._batch.add(change)

    def __getattr__(self, attr: str):
        return getattr(self._batch, attr)


def _update_rollups(rollups, connections, provider: str, dag_run_id: str, team_ids: list[str]) -> None:
    """Apply the changes still waiting, then recompute what an earlier try of this task loaded and never applied.

    A failure here fails the try, to be retried: the teams stay collected (the retry skips them), and their
    loads stay pending until the retry (or, at the latest, the run's publish_costs) recomputes them.
    """
    from finops.analytics.rollups import repair_orphans

    with _rollup_failures("the task will retry and recompute them"):
        rollups.flush()
        with connections.transaction() as conn:
            repaired = repair_orphans(conn, provider, dag_run_id, team_ids)
    log.info("Rollups: the changes of %d loads applied in batches of up to %d.", rollups.applied, rollups.size)
    if repaired:
        log.warning("Rollups: recomputed %d loads an earlier try left unapplied.", repaired)


@contextmanager
def _rollup_failures(then: str) -> Iterator[None]:
    """A database failure while updating the rollups, as one sentence the task fails with (and retries)."""
    import psycopg
    from airflow.sdk.exceptions import AirflowException

    try:
        yield
    except (psycopg.Error, FinopsError) as exc:
        reason = str(exc) if isinstance(exc, FinopsError) else (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        log.warning("The rollup update failed: %s", exc)
        raise AirflowException(
            f"The teams' costs are loaded, but the spend rollups could not be updated ({reason}); {then}; if it "
            "persists, check that the warehouse runs and accepts writes."
        ) from None


def data_quality_task(team_ids: list[str], window_start: str, window_end: str, dag_run_id: str,
                      facts: RunFacts | None = None, provider: str = "openai") -> dict:
    """Validate the provider's window as of the run's reference date, so a rerun or backfill gives the same verdict."""
    from concurrent.futures import ThreadPoolExecutor

    from airflow.sdk.exceptions import AirflowFailException

    from finops.lookup import get_variable
    from finops.quality import DataQualityError, run_quality_check
    from finops.quality.usage import VARIABLE as USAGE_GATE
    from finops.quality.usage import UsageReconciliationFailed, judge_usage, reconcile_usage
    from finops.warehouse.db import connection_params

    window = _window(window_start, window_end)
    today = (facts or RunFacts()).reference_date or window.end
    threshold = Decimal(str(get_variable(defaults.SUCCESS_RATE_THRESHOLD_VARIABLE,
                                         defaults.DEFAULT_SUCCESS_RATE_THRESHOLD)))
    log.info("%s", collection.measure_success_rate(dag_run_id, team_ids, threshold, provider).summary())
    usage_gate, params = get_variable(USAGE_GATE, None), connection_params()  # looked up here, not in the thread
    # Usage against the costs (docs/usage.md) on a connection of its own, beside the costs' suite: two read-only
    # checks of the window on the warehouse's cores at once, not one after the other. Its verdict comes second.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="usage-reconciliation") as beside:
        usage = beside.submit(reconcile_usage, window.start, window.end, team_ids=team_ids,
                              settled_before=collection.settled_before(today, _settle_days()), provider=provider,
                              params=params)
        try:
            report = run_quality_check(window.start, window.end, team_ids, _settle_days(), data_docs_dir(),
                                       today=today, provider=provider)
        except DataQualityError as exc:
            _stats().gauge("finops.quality.failed_expectations", len(exc.report.failures))
            _log_usage_beside(usage)
            raise AirflowFailException(str(exc)) from None  # data does not fix itself on retry
        _stats().gauge("finops.quality.failed_expectations", 0)
        try:  # warns, or fails with finops_usage_reconciliation=fail
            judge_usage(usage.result(), usage_gate)
        except UsageReconciliationFailed as exc:
            raise AirflowFailException(str(exc)) from None
    return {"success": report.success, "rows_validated": report.rows_validated,
            "not_yet_settled": [d.isoformat() for d in report.not_yet_settled],
            "docs_path": str(report.docs_path) if report.docs_path else None}


def _log_usage_beside(usage) -> None:
    """The usage reconciliation's verdict when the costs' suite failed the task (it is logged, never raised, so
    the costs' failure is what the task reports)."""
    from finops.quality.usage import judge_usage

    try:
        judge_usage(usage.result())
    except Exception as exc:  # noqa: BLE001 - the costs' failure is what the task must report
        log.warning("The usage reconciliation did not complete: %s", exc)


def success_rate_task(team_ids: list[str], window_start: str, window_end: str, dag_run_id: str,
                      provider: str = "openai") -> dict:
    from airflow.sdk.exceptions import AirflowFailException

    from finops.lookup import get_variable

    threshold = Decimal(str(get_variable(defaults.SUCCESS_RATE_THRESHOLD_VARIABLE,
                                         defaults.DEFAULT_SUCCESS_RATE_THRESHOLD)))
    rate = collection.success_rate(dag_run_id, team_ids, _window(window_start, window_end), threshold, provider)
    stats = _stats()
    stats.gauge("finops.collection.success_rate", float(rate.rate))
    stats.gauge("finops.collection.teams_succeeded", rate.teams_succeeded)
    stats.gauge("finops.collection.teams_failed", rate.teams_total - rate.teams_succeeded)
    log.info("%s", rate.summary())
    if not rate.passed:
        raise AirflowFailException(rate.summary().splitlines()[0])
    return {"success_rate": str(rate.rate), "teams_total": rate.teams_total, "teams_succeeded": rate.teams_succeeded}


def publish_costs_task(provider: str, window_start: str, window_end: str, dag_run_id: str, outlet_events) -> dict:
    """Describe what this run loaded on the ``finops.cost_data`` Asset event, for the DAGs scheduled on it."""
    from finops.analytics.rollups import repair_orphans
    from finops.assets import COST_DATA
    from finops.warehouse.db import connect

    # Every load of the run is in the rollups before the DAGs scheduled on the Asset read them: a collect_team
    # task that failed after its loads (its retries spent) left them pending.
    with _rollup_failures("the Asset event is held back and the task will retry"), connect() as conn:
        repaired = repair_orphans(conn, provider, dag_run_id, None)
    if repaired:
        log.warning("Rollups: recomputed %d loads of this run that no collect_team task applied.", repaired)
    extra = collection.collected_summary(provider, dag_run_id, _window(window_start, window_end))
    outlet_events[COST_DATA].extra = extra
    log.info("Asset finops.cost_data updated: %s teams, %s rows, %s in %s..%s (end exclusive).",
             len(extra["teams"]), extra["rows"], extra["amount_total"], window_start, window_end)
    return extra


def team_alerts_task(provider: str, team_ids: list[str], window_start: str, window_end: str, dag_run_id: str) -> dict:
    """Move each team's failure streak by this run's outcome (alerts once per streak) and deliver pending alerts."""
    from datetime import timedelta

    from finops.alerts import streaks
    from finops.alerts.delivery import deliver_pending

    day = date.fromisoformat(window_end) - timedelta(days=1)
    fired = streaks.update_streaks(provider, dag_run_id, day, streaks.run_outcomes(provider, dag_run_id, team_ids))
    report = deliver_pending()
    log.info("%d new team alert(s); %s", len(fired), report.summary())
    return {"alerts_fired": fired, "delivered": len(report.delivered), "pending": sorted(report.failed)}


def watch_gates_task(provider: str, dag_id: str, run_id: str, ti) -> None:
    """After every gate is done: when any failed, record why (every failed gate, failed teams) and fail the run.

    Skipped when no gate failed. It runs with ``all_done``, not ``one_failed``: the rate gate runs after
    the quality gate, so a watcher started by the first failure would miss the second.
    """
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from finops.alerts import runs, store

    gates = {}
    for task_id in runs.GATES:
        message = ti.xcom_pull(task_ids=task_id, key=runs.FAILURE_KEY)
        if message:
            gates[task_id] = str(message)
    try:
        states = ti.get_task_states(dag_id=dag_id, run_ids=[run_id]).get(run_id, {})
    except Exception:  # the states only complete the reason
        states = {}
    for task_id in runs.GATES:
        if task_id not in gates and str(states.get(task_id, "")) in ("failed", "upstream_failed"):
            gates[task_id] = f"{states[task_id]} before checking anything (an upstream planning task failed)"
    if not gates:
        raise AirflowSkipException("Every gate passed: nothing to watch.")
    alert = runs.run_failed_alert(provider, dag_id, run_id, gates, runs.failed_teams(provider, run_id))
    store.record(alert)
    raise AirflowFailException(alert.message.replace("\n", " "))


def collection_deadlines_task(providers: list[str], data_interval_end) -> dict:
    """Late data: alert (once per day) the teams without a successful collection N hours after a day closed."""
    from finops.alerts.late import DEADLINE_VARIABLE, check_deadlines, deadline_hours
    from finops.lookup import get_variable

    hours = deadline_hours(get_variable(DEADLINE_VARIABLE, None))
    return {"late_alerts": check_deadlines(list(providers), data_interval_end, hours), "deadline_hours": str(hours)}


def quality_scope_task(provider: str, team_ids: list[str], dag_run_id: str) -> list[str]:
    """The teams whose data the quality gate validates: those this run collected.

    A team that failed is the success-rate gate's and its failure alert's business; counting it
    again as incomplete data would turn one failed team red whatever the threshold says. When no
    team was collected, all are validated (and the run fails on both gates).
    """
    from finops.alerts.streaks import run_outcomes

    collected = [o.team_id for o in run_outcomes(provider, dag_run_id, team_ids) if o.succeeded]
    if len(collected) < len(team_ids):
        log.info("Data quality covers the %d team(s) collected by this run; not: %s.", len(collected),
                 ", ".join(sorted(set(team_ids) - set(collected))))
    return collected or team_ids
