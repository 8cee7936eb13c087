"""A fault-injecting HTTP proxy in front of the Costs API simulator: faults at the HTTP boundary.

Each request takes the next planned fault (then requests pass through untouched): a connection
reset in the middle of the body, a truncated JSON body, a read delay, a 5xx status, a looping
cursor, a bucket outside the asked window, or a page of many results. ``page_days`` rewrites the
client's ``limit`` so a window spans several pages (faults can then land mid-load).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests


@dataclass
class Fault:
    """One planned fault: ``kind`` in reset, truncate, delay, status, loop, outside, big."""

    kind: str
    seconds: float = 0.0
    status: int = 503
    results: int = 0


@dataclass
class FaultProxy:
    upstream: str
    page_days: int | None = None
    plan: deque = field(default_factory=deque)
    requests_seen: int = 0
    faults_injected: int = 0
    #: Totals the ``big`` fault served: (day, project, line item, currency) -> amount.
    served_extra: dict = field(default_factory=dict)
    url: str = ""
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def inject(self, *faults: Fault) -> None:
        self.plan.extend(faults)

    def clear(self) -> None:
        self.plan.clear()

    def _next(self) -> Fault | None:
        with self._lock:
            self.requests_seen += 1
            if self.plan:
                self.faults_injected += 1
                return self.plan.popleft()
            return None

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's naming
                try:
                    proxy._handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (a read timeout): what the fault is for

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    # -- one request ----------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        fault = self._next()
        parts = urlsplit(handler.path)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if self.page_days and parts.path.endswith("/costs"):
            query = [(k, str(self.page_days) if k == "limit" else v) for k, v in query]
        if fault and fault.kind == "loop":
            query = [(k, v) for k, v in query if k != "page"]  # serve the first page again
        headers = {k: v for k, v in handler.headers.items() if k.lower() in ("authorization", "accept")}
        upstream = requests.get(f"{self.upstream}{parts.path}?{urlencode(query)}", headers=headers, timeout=60)
        body, status = upstream.content, upstream.status_code
        if fault is None:
            return _reply(handler, status, body)
        if fault.kind == "status":
            error = {"error": {"message": "chaos: upstream unavailable", "type": "server_error"}}
            return _reply(handler, fault.status, json.dumps(error).encode())
        if fault.kind == "delay":
            time.sleep(fault.seconds)
            return _reply(handler, status, body)
        if fault.kind == "truncate":
            return _reply(handler, status, body[: max(1, len(body) // 2)])
        if fault.kind == "reset":
            return _reset_mid_body(handler, status, body)
        page = json.loads(body)
        if fault.kind == "loop":
            page["has_more"], page["next_page"] = True, "chaos-loop-cursor"
        elif fault.kind == "outside":
            start = min(b["start_time"] for b in page["data"]) if page["data"] else 0
            outside = start - 86400
            page["data"].insert(0, {"object": "bucket", "start_time": outside, "end_time": start,
                                    "results": [_result("proj_outside", "chaos outside the window", "1.25")]})
        elif fault.kind == "big":
            page = self._big_page(page, fault.results)
        return _reply(handler, status, json.dumps(page).encode())

    def _big_page(self, page: dict, results: int) -> dict:
        """The first bucket's results replaced by ``results`` distinct line items of its projects."""
        bucket = page["data"][0]
        projects = sorted({r["project_id"] for b in page["data"] for r in b["results"] if r.get("project_id")}) or [
            "proj_big"]
        day = datetime.fromtimestamp(bucket["start_time"], UTC).date()
        bucket["results"] = []
        for n in range(results):
            project = projects[n % len(projects)]
            amount = str(Decimal(n % 997) / 1000 + Decimal("0.001"))
            bucket["results"].append(_result(project, f"chaos line item {n:06d}", amount))
            self.served_extra[(day, project, f"chaos line item {n:06d}", "usd")] = Decimal(amount)
        return page


def _result(project_id: str, line_item: str, amount: str) -> dict:
    return {"object": "organization.costs.result", "amount": {"value": amount, "currency": "usd"},
            "line_item": line_item, "project_id": project_id, "organization_id": "org-chaos"}


def _reply(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _reset_mid_body(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    """Headers promise the whole body; half of it is sent, then the connection is reset (RST)."""
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body[: len(body) // 2])
    handler.wfile.flush()
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    handler.connection.close()


def day_start(day) -> int:
    return int(datetime.combine(day, datetime.min.time(), UTC).timestamp())


__all__ = ["Fault", "FaultProxy", "day_start", "timedelta"]
