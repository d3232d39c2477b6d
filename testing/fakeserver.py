"""A small HTTP server for the local fakes of Jira and Zendesk, with fault injection.

Neither tracker runs here, so the tests and the benchmark talk to these over real HTTP on
127.0.0.1 through the real clients. Faults: an HTTP status for the next N requests, a delay
longer than the client's timeout, 429 with Retry-After, the whole server down (refused
connections) and back up on the same port, fixed latency, and hooks on a route (used to kill
a worker between the remote create and its commit).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    client: tuple[str, int]
    match: re.Match[str] | None = None

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


Response = tuple[int, Any, dict[str, str]]
Handler = Callable[[FakeRequest], Response]


@dataclass
class Fault:
    times: int
    status: int | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    path: str | None = None

    def matches(self, request: FakeRequest) -> bool:
        return (self.method is None or self.method == request.method) and (
            self.path is None or re.search(self.path, request.path) is not None
        )


class FakeServer:
    """Routes, auth, faults and a request log; subclasses add their API."""

    name = "fake"

    def __init__(self, *, username: str = "", token: str = "", latency: float = 0.0) -> None:
        self.username, self.token, self.latency = username, token, latency
        self.lock = threading.RLock()
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.faults: deque[Fault] = deque()
        self.hooks: list[tuple[str, re.Pattern[str], Callable[[FakeRequest], None]]] = []
        self.log: list[tuple[str, str, int]] = []
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._open: set[socket.socket] = set()

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        fake = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with fake.lock:
                    fake._open.add(self.connection)

            def finish(self) -> None:
                with fake.lock:
                    fake._open.discard(self.connection)
                super().finish()

            def _handle(self) -> None:
                fake._dispatch(self)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that went away mid-request (a killed worker, a timeout) is expected here

        server = Server(("127.0.0.1", self.port), RequestHandler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open (keep-alive) connection, as a crashed server would."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self.lock:
            open_sockets, self._open = list(self._open), set()
        for sock in open_sockets:
            with contextlib.suppress(OSError):  # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)

    down = stop  # refused connections until up()

    def up(self) -> None:
        if self._server is None:
            self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- faults ----------------------------------------------------------------------------------

    def fail(self, times: int = 1, status: int = 500, method: str | None = None, path: str | None = None) -> None:
        """Answer the next ``times`` matching requests with ``status``."""
        with self.lock:
            self.faults.append(Fault(times=times, status=status, method=method, path=path))

    def slow(self, times: int = 1, seconds: float = 5.0, method: str | None = None, path: str | None = None) -> None:
        """Hold the next matching requests for ``seconds``, then handle them (the client may have given up)."""
        with self.lock:
            self.faults.append(Fault(times=times, delay=seconds, method=method, path=path))

    def throttle(
        self, times: int = 1, retry_after: int = 1, method: str | None = None, path: str | None = None
    ) -> None:
        with self.lock:
            headers = {"Retry-After": str(retry_after)}
            self.faults.append(Fault(times=times, status=429, headers=headers, method=method, path=path))

    def on(self, method: str, path: str, hook: Callable[[FakeRequest], None]) -> None:
        """Call ``hook`` when a matching request arrives, before it is answered."""
        with self.lock:
            self.hooks.append((method, re.compile(path), hook))

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()
            self.hooks.clear()

    def count(self, method: str, path: str) -> int:
        with self.lock:
            return sum(1 for m, p, _ in self.log if m == method and re.search(path, p))

    # --- plumbing --------------------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(f"^{pattern}$"), handler))

    def authorised(self, request: FakeRequest) -> bool:
        if not self.username:
            return True
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        return self.accepts(user, secret)

    def accepts(self, user: str, secret: str) -> bool:
        return user == self.username and secret == self.token

    def unauthorised(self) -> Response:
        return 401, {"errorMessages": ["You are not authenticated."]}, {}

    def not_found(self, request: FakeRequest) -> Response:
        return 404, {"errorMessages": [f"No route {request.method} {request.path}"]}, {}

    def _take_fault(self, request: FakeRequest) -> Fault | None:
        with self.lock:
            for fault in list(self.faults):
                if fault.matches(request):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        request = FakeRequest(
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=handler.rfile.read(length) if length else b"",
            client=handler.client_address[:2],
        )
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            hooks = [
                hook
                for method, pattern, hook in self.hooks
                if method == request.method and pattern.search(request.path)
            ]
        for hook in hooks:
            hook(request)
        fault = self._take_fault(request)
        status: int
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.status:
            status, payload, headers = fault.status, {"errorMessages": [f"injected {fault.status}"]}, fault.headers
        elif not self.authorised(request):
            status, payload, headers = self.unauthorised()
        else:
            status, payload, headers = self.not_found(request)
            for method, pattern, route in self.routes:
                match = pattern.match(request.path)
                if method == request.method and match:
                    request.match = match
                    with self.lock:
                        status, payload, headers = route(request)
                    break
        with self.lock:
            self.log.append((request.method, request.path, status))
        body = b"" if payload is None else json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)
