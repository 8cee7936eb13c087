"""The simulator over HTTP: in a thread (the fixture) and as ``finops simulator`` in its own process."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from simulator_fixtures import HEALTHY, QUIRKY, build_test_config

from finops.simulator.config import random_key, write_config
from finops.simulator.server import READY_LINE, health, run_in_thread, start_process


def test_health(simulator):
    assert requests.get(f"{simulator.base_url}/_simulator/health", timeout=10).json() == {
        "status": "ok", "organizations": len(simulator.config.organizations),
        "anthropic_organizations": len(simulator.config.anthropic_organizations)}


def test_expected_endpoint_matches_the_library(simulator):
    ids = simulator.project_ids(QUIRKY)
    r = requests.get(f"{simulator.base_url}/_simulator/expected", timeout=10, params={
        "org_id": QUIRKY, "start_date": "2025-05-01", "end_date": "2025-05-15", "project_ids[]": ids})
    body = r.json()
    served = {(date.fromisoformat(x["usage_date"]), x["project_id"], x["line_item"], x["currency"]): Decimal(x["amount"])
              for x in body["rows"]}
    assert served == simulator.expected(QUIRKY, date(2025, 5, 1), date(2025, 5, 15), ids)
    assert any(k[1] == "unassigned" for k in served)


def test_raw_costs_request_in_both_array_forms(simulator):
    url = f"{simulator.base_url}/v1/organization/costs"
    headers = {"Authorization": f"Bearer {simulator.key(HEALTHY)}"}
    common = "start_time=1735689600&end_time=1736035200&limit=2"
    bracket = requests.get(f"{url}?{common}&group_by[]=project_id&group_by[]=line_item&project_ids[]=proj_healthyWeb",
                           headers=headers, timeout=10).json()
    plain = requests.get(f"{url}?{common}&group_by=project_id&group_by=line_item&project_ids=proj_healthyWeb",
                         headers=headers, timeout=10).json()
    assert bracket["data"] == plain["data"] and bracket["has_more"] and len(bracket["data"]) == 2


def test_run_in_thread_starts_and_stops():
    config, keys = build_test_config()
    base_url, stop = run_in_thread(config)
    assert requests.get(f"{base_url}/_simulator/health", timeout=10).status_code == 200
    stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base_url}/_simulator/health", timeout=2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cli(args: list[str], env: dict) -> tuple[subprocess.Popen, list[str]]:
    """Run ``finops simulator`` and read its log until uvicorn says it is listening."""
    proc = subprocess.Popen([sys.executable, "-m", "finops", "simulator", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if READY_LINE in line:
            return proc, lines
    raise AssertionError(f"the simulator exited ({proc.wait()}): {''.join(lines)}")


def stop_cli(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=20)


def test_cli_without_config_serves_the_demo_with_private_generated_keys(tmp_path):
    keys_file = tmp_path / "keys.json"
    port = free_port()
    env = {**os.environ, "FINOPS_SIMULATOR_KEYS_FILE": str(keys_file)}
    proc, lines = start_cli(["--port", str(port)], env)
    try:
        keys = json.loads(keys_file.read_text())
        assert set(keys) == {"growth", "search", "platform", "anthropic:growth"}
        assert stat.S_IMODE(os.stat(keys_file).st_mode) == 0o600
        log = "".join(lines)
        assert str(keys_file) in log and all(k not in log for k in keys.values())
        base = f"http://127.0.0.1:{port}"
        r = requests.get(f"{base}/v1/organization/projects", headers={"Authorization": f"Bearer {keys['growth']}"},
                         timeout=10)
        assert r.status_code == 200 and len(r.json()["data"]) == 3
    finally:
        stop_cli(proc)


def test_cli_with_config_and_fault_overrides(tmp_path):
    config, keys = build_test_config()
    path = write_config(config, tmp_path / "sim.yaml")
    port = free_port()
    proc, _ = start_cli(["--config", str(path), "--port", str(port), "--rate-429", "1", "--rate-5xx", "0", "--retry-after", "3"],
                        dict(os.environ))
    try:
        r = requests.get(f"http://127.0.0.1:{port}/v1/organization/projects",
                         headers={"Authorization": f"Bearer {keys[HEALTHY]['active']}"}, timeout=10)
        assert r.status_code == 429 and r.headers["Retry-After"] == "3"
    finally:
        stop_cli(proc)


def test_cli_rejects_overrides_that_do_not_fit(tmp_path):
    config, _ = build_test_config()
    path = write_config(config, tmp_path / "sim.yaml")
    done = subprocess.run([sys.executable, "-m", "finops", "simulator", "--config", str(path), "--rate-429", "1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "--rate-5xx" in done.stderr and "Traceback" not in done.stderr


def test_cli_reports_a_bad_config_in_one_sentence(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"organizations:\n  - id: nope\n    keys: [{{key: {random_key()}}}]\n")
    done = subprocess.run([sys.executable, "-m", "finops", "simulator", "--config", str(bad)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "invalid at organizations.0.id" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("generators", "cache_pages"), [(0, False), (2, False), (2, True)])
def test_start_process_serves_a_private_config_file_and_stops(tmp_path, generators, cache_pages):
    """The bench's simulator process (with page generator processes or without): config in a 0600 JSON file, no key
    on argv or in its log, the same bytes as the in-thread simulator, nothing left after ``stop``."""
    config, keys = build_test_config()
    sim = start_process(config, tmp_path, generators=generators, cache_pages=cache_pages)
    base_url, stop = run_in_thread(config)
    try:
        assert stat.S_IMODE(os.stat(tmp_path / "simulator-config.json").st_mode) == 0o600
        argv = _cmdline(sim.pid).replace(b"\0", b" ").decode()
        secrets = [k for org in keys.values() for k in org.values()]
        assert "finops.simulator.server" in argv and not any(k in argv for k in secrets)
        headers = {"Authorization": f"Bearer {keys[HEALTHY]['active']}"}
        window = "start_time=1735689600&end_time=1738368000&limit=31"
        paths = [f"/v1/organization/costs?{window}&group_by[]=project_id&group_by[]=line_item&group_by[]=api_key_id",
                 f"/v1/organization/costs?{window}&group_by[]=line_item",
                 f"/v1/organization/usage/completions?{window}&group_by[]=project_id&group_by[]=model"
                 "&group_by[]=api_key_id"]
        for path in paths * 2:  # the second time from memory with cache_pages
            answers = [requests.get(f"{url}{path}", headers=headers, timeout=30) for url in (sim.base_url, base_url)]
            assert answers[0].status_code == 200 and answers[0].content == answers[1].content, path
        kept = health(sim.base_url).get("page_cache")  # what the bench prints (BenchEnv.page_cache)
        assert kept == ({"pages": 3, "bytes": kept["bytes"], "hits": 3, "misses": 3} if cache_pages else None)
        children = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                    and _parent(int(p.name)) == sim.pid and b"spawn_main" in _cmdline(int(p.name))]
        assert len(children) >= min(generators, 1)  # started on demand
    finally:
        stop()
        sim.stop()
    assert sim.process.poll() is not None and not any(Path(f"/proc/{pid}").exists() for pid in children)
    assert not (tmp_path / "simulator-config.json").exists()
    log = (tmp_path / "simulator.log").read_text()
    assert not any(k in log for k in secrets)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def test_start_process_reports_a_simulator_that_exits(tmp_path):
    config, _ = build_test_config()
    with pytest.raises(RuntimeError, match="exited with code 1 before it answered"):
        start_process(config, tmp_path, python="/bin/false")
