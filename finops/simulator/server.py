"""Serving the simulator: in the foreground (``finops simulator``), in a process of its own (benchmarks:
``python -m finops.simulator.server``, :func:`start_process`) or in a thread (tests)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from finops.simulator.config import SimulatorConfig, load_config, write_config

log = logging.getLogger(__name__)


#: Printed (to stderr) once the foreground server accepts connections; scripts may wait for it.
READY_LINE = "Simulator ready on"


def _server(config: SimulatorConfig, host: str, port: int, log_level: str, *, announce: bool = False, generators=None,
            cache_pages: bool = False):
    import sys

    import uvicorn

    from finops.simulator.app import create_app

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)
            if announce and self.started:
                print(f"{READY_LINE} http://{host}:{port}", file=sys.stderr, flush=True)

        async def shutdown(self, sockets=None) -> None:
            await super().shutdown(sockets=sockets)
            if generators is not None:  # here: uvicorn re-raises SIGTERM once run() is done
                generators.shutdown(wait=True, cancel_futures=True)

    app = create_app(config, generators, cache_pages=cache_pages)
    return Server(uvicorn.Config(app, host=host, port=port, log_level=log_level,
                                 access_log=log_level in ("debug", "info"), lifespan="off"))


def serve(config: SimulatorConfig, host: str = "127.0.0.1", port: int = 54331, log_level: str = "info", *,
          generators: int = 0, config_file: str | None = None, cache_pages: bool = False) -> None:
    """Serve in the foreground until interrupted; prints ``READY_LINE`` once listening.

    The process is the simulator's own, so its garbage collector is tuned for it (finops.simulator.memo.tune_gc).
    ``generators`` > 0: that many processes compute the costs and usage pages from ``config_file`` (the file
    ``config`` was read from), so pages are generated on several cores while this process keeps the state.
    ``cache_pages``: keep every costs and usage page computed and serve it again from memory (the bench's timed runs).
    """
    from finops.simulator.app import start_generators
    from finops.simulator.memo import tune_gc

    pool = start_generators(config_file, generators) if generators and config_file else None
    server = _server(config, host, port, log_level, announce=True, generators=pool,  # shuts the pool down
                     cache_pages=cache_pages)
    tune_gc()
    server.run()


def run_in_thread(
    config: SimulatorConfig, host: str = "127.0.0.1", port: int = 0, *, startup_timeout: float = 30.0
) -> tuple[str, Callable[[], None]]:
    """Start the simulator in a daemon thread; returns its base URL and a function that stops it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    server = _server(config, host, bound_port, "warning")
    failure: list[BaseException] = []

    def target() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)

    thread = threading.Thread(target=target, name=f"finops-simulator-{bound_port}", daemon=True)
    thread.start()
    deadline = threading.Event()
    timer = threading.Timer(startup_timeout, deadline.set)
    timer.start()
    try:
        while not server.started:
            if not thread.is_alive() or deadline.is_set():
                server.should_exit = True
                sock.close()
                raise RuntimeError(f"The simulator did not start on {host}:{bound_port}: {failure or 'timed out'}")
            thread.join(0.01)
    finally:
        timer.cancel()

    def stop() -> None:
        server.should_exit = True
        thread.join(10)
        sock.close()

    return f"http://{host}:{bound_port}", stop


@dataclass
class SimulatorProcess:
    """The simulator in a process of its own: its URL, its pid (for its CPU time) and how to stop it."""

    base_url: str
    process: subprocess.Popen
    #: Its config (the organizations' keys), removed once it has stopped.
    config_file: Path | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.config_file is not None:
            self.config_file.unlink(missing_ok=True)


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def health(url: str, timeout: float = 2) -> dict | None:
    """The simulator's ``/_simulator/health`` answer (with ``page_cache`` when it keeps pages), or None while it does
    not answer."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1: never through a proxy
    try:
        with opener.open(f"{url}/_simulator/health", timeout=timeout) as answer:
            return json.loads(answer.read()) if answer.status == 200 else None
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _healthy(url: str) -> bool:
    return health(url) is not None


def start_process(config: SimulatorConfig, home: Path, host: str = "127.0.0.1", *, python: str = sys.executable,
                  generators: int = 0, cache_pages: bool = False, startup_timeout: float = 120.0) -> SimulatorProcess:
    """Start ``python -m finops.simulator.server`` on a free port with ``config`` (written to ``home`` with mode
    0600 and removed by ``stop``: it holds the organizations' keys, never put on argv) and wait until its health
    endpoint answers.

    ``generators``, ``cache_pages``: see :func:`serve`. Its output goes to ``home/simulator.log``
    (warnings and errors only).
    """
    home.mkdir(parents=True, exist_ok=True)
    config_file = write_config(config, home / "simulator-config.json")
    port = _free_port(host)
    url = f"http://{host}:{port}"
    log_file = open(home / "simulator.log", "ab")  # noqa: SIM115 - the child writes to it until stopped
    try:
        process = subprocess.Popen(
            [python, "-m", "finops.simulator.server", "--config", str(config_file), "--host", host, "--port", str(port),
             "--generators", str(generators), *(["--cache-pages"] if cache_pages else [])],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    finally:
        log_file.close()
    started = SimulatorProcess(url, process, config_file)
    deadline = time.monotonic() + startup_timeout
    while not _healthy(url):
        if time.monotonic() > deadline:
            started.stop()
            raise RuntimeError(f"The simulator did not answer on {url} within {startup_timeout:.0f} s; "
                               f"see {home / 'simulator.log'}.")
        try:  # wait for the process a moment between polls: it may have exited (a port taken, a bad config)
            code = process.wait(0.05)
        except subprocess.TimeoutExpired:
            continue
        raise RuntimeError(f"The simulator exited with code {code} before it answered on {url}; "
                           f"see {home / 'simulator.log'}.")
    return started


def main(argv: list[str] | None = None) -> int:
    """``python -m finops.simulator.server --config FILE --port P``: serve a config file, logging warnings only."""
    parser = argparse.ArgumentParser(prog="python -m finops.simulator.server", description=main.__doc__)
    parser.add_argument("--config", required=True, help="simulator config (YAML, or JSON if it ends in .json)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"))
    parser.add_argument("--generators", type=int, default=0, metavar="N",
                        help="processes that compute the costs and usage pages (default 0: this one)")
    parser.add_argument("--cache-pages", action="store_true",
                        help="keep every costs and usage page computed and serve it again from memory")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve(load_config(args.config), host=args.host, port=args.port, log_level=args.log_level,
          generators=args.generators, config_file=args.config, cache_pages=args.cache_pages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
