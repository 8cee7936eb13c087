"""Shared by the browser tests: one ``airflow api-server`` and one chromium for the whole session.

The server runs with the plugin, the simple auth manager (the users of ``USERS`` with generated
passwords; ``viewer`` and ``finance`` named in ``finops_all_teams_readers``), the test warehouse, moto's KMS and the simulator; each test empties the warehouse
through the ``db`` fixture, so sharing the server shares no data.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("FINOPS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
STARTUP_TIMEOUT_SECONDS = 180
#: The simple auth manager's users: ``viewer`` and ``finance`` read every team (``finops_all_teams_readers``);
#: ``lead`` and ``mgr`` see the teams they are members of (tests make them members), ``outsider`` none.
USERS = {"admin": "admin", "viewer": "viewer", "finance": "viewer", "lead": "viewer", "mgr": "viewer",
         "outsider": "viewer"}
#: ``user:`` so the simple auth manager's role ``viewer`` (every non-admin here) does not match the name ``viewer``.
ALL_TEAMS_READERS = "user:viewer, user:finance"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ApiServer:
    """A running ``airflow api-server`` in its own process group."""

    def __init__(self, process: subprocess.Popen, base_url: str, passwords: dict[str, str], log: Path) -> None:
        self.process, self.base_url, self.passwords, self.log = process, base_url, passwords, log

    def wait_ready(self) -> None:
        """Poll the health endpoint until it answers; fail early if the server exits."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base_url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # a loaded machine answers slowly at first
                pass
            try:
                code = self.process.wait(timeout=0.5)  # doubles as the pause between polls
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"airflow api-server exited with {code}:\n{self.log.read_text()[-4000:]}")
        pytest.fail(f"airflow api-server not healthy after {STARTUP_TIMEOUT_SECONDS} s:\n{self.log.read_text()[-4000:]}")

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it if it lingers."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def api_server(warehouse, kms_endpoint, simulator, tmp_path_factory) -> Iterator[ApiServer]:
    """``airflow api-server`` on 127.0.0.1 and a free port, with this session's connections."""
    tmp_path = tmp_path_factory.mktemp("api-server")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    passwords = {user: secrets.token_urlsafe(12) for user in USERS}
    passwords_file = tmp_path / "passwords.json"
    passwords_file.write_text(json.dumps(passwords))
    env = {
        **os.environ,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base_url,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__AUTH_MANAGER":
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in USERS.items()),
        "AIRFLOW_VAR_FINOPS_ALL_TEAMS_READERS": ALL_TEAMS_READERS,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    log = tmp_path / "api-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "airflow"), "api-server"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = ApiServer(process, base_url, passwords, log)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()
