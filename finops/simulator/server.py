"""Serving the simulator: in the foreground (``finops simulator``) or in a thread (tests, benchmarks)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

from finops.simulator.config import SimulatorConfig

log = logging.getLogger(__name__)


#: Printed (to stderr) once the foreground server accepts connections; scripts may wait for it.
READY_LINE = "Simulator ready on"


def _server(config: SimulatorConfig, host: str, port: int, log_level: str, *, announce: bool = False):
    import sys

    import uvicorn

    from finops.simulator.app import create_app

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)
            if announce and self.started:
                print(f"{READY_LINE} http://{host}:{port}", file=sys.stderr, flush=True)

    return Server(uvicorn.Config(create_app(config), host=host, port=port, log_level=log_level,
                                 access_log=log_level in ("debug", "info"), lifespan="off"))


def serve(config: SimulatorConfig, host: str = "127.0.0.1", port: int = 54331, log_level: str = "info") -> None:
    """Serve in the foreground until interrupted; prints ``READY_LINE`` once listening."""
    _server(config, host, port, log_level, announce=True).run()


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
