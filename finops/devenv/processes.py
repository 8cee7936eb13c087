"""Background services of the local environment, each in its own process group with a pid file."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Service:
    """A long-running command started with ``setsid``; its whole group is stopped together."""

    name: str
    argv: list[str]
    local_dir: Path

    @property
    def pid_file(self) -> Path:
        return self.local_dir / "run" / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.local_dir / "logs" / f"{self.name}.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            self.pid_file.unlink(missing_ok=True)
            return None
        except PermissionError:
            pass
        return pid

    def start(self, env: dict[str, str] | None = None) -> bool:
        if self.pid() is not None:
            return False
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env=env, cwd=self.local_dir.parent,
            )
        self.pid_file.write_text(str(proc.pid))
        return True

    def stop(self, timeout: float = 30.0) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                break
            _reap(pid)
            time.sleep(0.2)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _reap(pid)
        self.pid_file.unlink(missing_ok=True)
        return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def wait_for_http(url: str, timeout: float = 90.0, service: Service | None = None) -> None:
    """Poll ``url`` until it answers; fail early with the log's tail if the service died."""
    import requests

    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException as exc:
            last = type(exc).__name__
        if service is not None and service.pid() is None:
            tail = service.log_file.read_text(errors="replace").splitlines()[-15:] if service.log_file.exists() else []
            raise RuntimeError(f"{service.name} exited while starting; last log lines:\n" + "\n".join(tail))
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s ({last}); see the logs under .local/logs.")
