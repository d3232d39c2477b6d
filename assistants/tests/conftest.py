"""A local stand-in for an Ollama server that replays recorded API responses over real HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

RECORDED = Path(__file__).parent / "recorded" / "ollama"


@dataclass
class FakeOllama:
    url: str
    requests: list[dict[str, object]] = field(default_factory=list)
    delay_seconds: float = 0.0


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    state = FakeOllama(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/api/tags":
                self._send(200, (RECORDED / "tags.json").read_bytes())
            else:
                self._send(404, b"404 page not found", "text/plain")

        def do_POST(self) -> None:
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(payload)
            if state.delay_seconds:
                threading.Event().wait(state.delay_seconds)
            if self.path != "/api/chat":
                self._send(404, b"404 page not found", "text/plain")
            elif payload["model"] != "qwen2.5:3b":
                self._send(404, (RECORDED / "model_not_found.json").read_bytes())
            elif payload.get("stream"):
                self._send(200, (RECORDED / "chat_stream.ndjson").read_bytes(), "application/x-ndjson")
            else:
                self._send(200, (RECORDED / "chat.json").read_bytes())

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            pass  # a client that timed out and hung up is what some tests want

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
