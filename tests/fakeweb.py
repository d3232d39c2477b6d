"""A tiny threaded HTTP server for tests: routes to canned answers, and a log of what it was asked.

    with FakeWeb() as site:                       # 127.0.0.1, a free port
        site.route("/", body=b"<html>...</html>")
        site.route("/old", status=302, headers={"Location": "/new"})
        site.url("/old") ... site.hits == ["/old", "/new"]

``FakeWeb(host="127.0.0.2")`` stands up a reachable "internal" server (Linux routes
all of 127/8 to the loopback device) that the outbound guard must refuse.

Hostile answers: ``drip=1.0`` sends the body one byte a second, ``repeat=N`` sends it N times
(a huge body without holding it in memory); ``site.sent`` counts the body bytes that left,
``site.headers`` keeps each request's headers. POST is answered like GET.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0
    send_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    drip: float = 0.0  # seconds between single bytes of the body
    repeat: int = 1  # the body is sent this many times


class FakeWeb:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.sent = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.hits.append(self.path)
                fake.headers.append({name.lower(): value for name, value in self.headers.items()})
                route = fake.routes.get(self.path.split("?", 1)[0], Route(status=404, body=b"not found"))
                if route.delay:
                    time.sleep(route.delay)
                try:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    if route.send_length:
                        self.send_header("Content-Length", str(len(route.body) * route.repeat))
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    pieces = [route.body[i : i + 1] for i in range(len(route.body))] if route.drip else [route.body]
                    for _ in range(route.repeat):
                        for piece in pieces:
                            self.wfile.write(piece)
                            fake.sent += len(piece)
                            time.sleep(route.drip)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (size cap, timeout)

            do_POST = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.host = host
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def route(self, path: str, **kwargs: Any) -> FakeWeb:
        self.routes[path] = Route(**kwargs)
        return self

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self) -> FakeWeb:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound once, then released): connections to it are refused."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
