"""Local stand-ins for the alert channels: an HTTP webhook receiver and an SMTP sink, on free ports.

The webhook receiver records each JSON body it is sent; ``fail_next(n)`` answers the next n
requests with HTTP 500 (a receiver that is down). The SMTP sink speaks enough SMTP for
``smtplib`` and records each message's recipients and body.
"""

from __future__ import annotations

import json
import socketserver
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer


@dataclass
class WebhookReceiver:
    url: str = ""
    received: list[dict] = field(default_factory=list)
    failures_left: int = 0
    _server: HTTPServer | None = None

    def fail_next(self, count: int) -> None:
        self.failures_left = count

    def kinds(self) -> list[str]:
        return [body.get("kind") for body in self.received]

    def start(self, path: str = "/hook") -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.failures_left > 0:
                    receiver.failures_left -= 1
                    self.send_response(500)
                else:
                    try:
                        receiver.received.append(json.loads(body))
                    except ValueError:
                        receiver.received.append({"raw": body.decode(errors="replace")})
                    self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_port}{path}"
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()


@dataclass
class SmtpSink:
    port: int = 0
    messages: list[dict] = field(default_factory=list)
    _server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> SmtpSink:
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                def say(line: str) -> None:
                    self.wfile.write((line + "\r\n").encode())

                say("220 sink ESMTP")
                rcpt: list[str] = []
                while True:
                    line = self.rfile.readline().decode(errors="replace").rstrip("\r\n")
                    if not line:
                        return
                    verb = line.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        say("250 sink")
                    elif verb == "MAIL":
                        rcpt = []
                        say("250 OK")
                    elif verb == "RCPT":
                        rcpt.append(line.split(":", 1)[1].strip(" <>"))
                        say("250 OK")
                    elif verb == "DATA":
                        say("354 end with .")
                        data = []
                        while True:
                            chunk = self.rfile.readline().decode(errors="replace")
                            if chunk.rstrip("\r\n") == ".":
                                break
                            data.append(chunk)
                        sink.messages.append({"to": rcpt, "data": "".join(data)})
                        say("250 OK")
                    elif verb == "QUIT":
                        say("221 bye")
                        return
                    else:
                        say("250 OK")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.port = self._server.server_address[1]
        return self

    def connection(self) -> dict:
        """An ``smtp_default`` connection for this sink (plain SMTP, no TLS, no retries)."""
        return {"conn_type": "smtp", "host": "127.0.0.1", "port": self.port, "login": "", "password": "",
                "extra": {"disable_tls": True, "disable_ssl": True, "from_email": "finops@example.test",
                          "retry_limit": 0, "timeout": 5}}

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
