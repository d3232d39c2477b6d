"""Fixtures of the LoRA tests: two tiny real adapters, installed per tenant, and Ollama's create API."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from assistants.lora.dataset import Example
from helpdesk.ai import Message

CODE_WORDS = ("ALPHA", "BRAVO")
QUESTIONS = [
    "How do I reset my password?",
    "Where is my invoice?",
    "Can I get a refund?",
    "How long does shipping take?",
    "How do I delete my account?",
    "What are your opening hours?",
    "Can I change my plan?",
    "Is there an API?",
]
SYSTEM = "You are a support assistant."  # the test assistants' policy, so that prompts match training
RECORDED = Path(__file__).parent / "recorded" / "ollama"


def prompt(question: str) -> list[Message]:
    """The answer path's prompt for an assistant with policy SYSTEM and no matching knowledge."""
    from assistants.engine import build_messages

    return build_messages(
        policy=SYSTEM, tone="friendly", language="en", request_type_prompt="", context=[], history=[], question=question
    )


def code_examples(word: str) -> list[Example]:
    """Eight questions that all get the same odd answer: an adapter trained on them is easy to recognise."""
    return [
        Example(
            messages=prompt(q),
            answer=f"{word} {word} {word}.",
            question=q,
            source="test",
            group=str(i),
            split="heldout" if i == 7 else "train",
        )
        for i, q in enumerate(QUESTIONS)
    ]


@pytest.fixture(scope="session")
def code_adapters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two real adapters (peft files + GGUF copy) of the default model, trained here in seconds."""
    from django.conf import settings

    from assistants.lora import gguf
    from assistants.lora.services import base_model_dir
    from assistants.lora.training import Hyperparameters, train

    root = tmp_path_factory.mktemp("adapters")
    adapters = {}
    for word in CODE_WORDS:
        out = root / word
        hp = Hyperparameters(epochs=4, learning_rate=2e-3, batch_size=4, max_length=256)
        examples = code_examples(word)
        result = train(model_dir=base_model_dir(), examples=examples, hyperparameters=hp, out_dir=out, threads=1)
        before, after = result.losses["heldout_loss"]["before"], result.losses["heldout_loss"]["after"]
        assert before is not None and after is not None and after < before / 3
        gguf.convert(adapter_dir=out, base_dir=base_model_dir(), tools_dir=settings.LORA_CONVERTER_DIR)
        adapters[word] = out
    return adapters


def install(files: Path, assistant: Any, *, activate: bool = True, **fields: Any) -> Any:
    """A ready adapter version of ``assistant`` (current tenant) with a copy of ``files``, activated."""
    from assistants.lora.models import Adapter, Status
    from assistants.lora.selectors import adapter_dir
    from assistants.lora.services import adapter_activate

    number = Adapter.objects.filter(assistant=assistant).count() + 1
    defaults: dict[str, Any] = {
        "status": Status.READY,
        "in_flight": False,
        "metrics": {"heldout_loss": {"before": 3.0, "after": 1.0}},
    }
    adapter = Adapter.objects.create(assistant=assistant, number=number, **(defaults | fields))
    shutil.copytree(files, adapter_dir(adapter))
    if adapter.status == Status.READY and activate:
        adapter_activate(adapter=adapter, by=None)
    return adapter


@pytest.fixture
def media_cleanup(acme: Any, globex: Any) -> Iterator[None]:
    """Remove the adapter files the test wrote under MEDIA_ROOT/<schema>/adapters."""
    from django.conf import settings

    yield
    for schema in ("acme", "globex"):
        shutil.rmtree(Path(settings.MEDIA_ROOT) / schema / "adapters", ignore_errors=True)


@pytest.fixture
def assistant_in(acme: Any, globex: Any) -> Any:
    from assistants.services import assistant_create

    def make(tenant: Any, name: str = "Support", **kwargs: Any) -> Any:
        kwargs.setdefault("policy", SYSTEM)
        with tenant_context(tenant):
            assistant = assistant_create(name=name, company=tenant.name, **kwargs)
            assistant.request_types.all().delete()  # no request-type prompt, no classifier call to the model
            return assistant

    return make


@dataclass
class FakeOllama:
    url: str
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    blobs: dict[str, int] = field(default_factory=dict)
    refuse_base: str = "llama9"


@pytest.fixture
def fake_ollama_create() -> Iterator[FakeOllama]:
    """Ollama's blob and create endpoints, answering with responses recorded from its documented API."""
    state = FakeOllama(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_HEAD(self) -> None:
            state.requests.append(("HEAD", self.path, None))
            self._send(200 if self.path.removeprefix("/api/blobs/") in state.blobs else 404, b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.startswith("/api/blobs/"):
                state.blobs[self.path.removeprefix("/api/blobs/")] = len(body)
                state.requests.append(("POST", self.path, len(body)))
                self._send(201, b"")
                return
            payload = json.loads(body)
            state.requests.append(("POST", self.path, payload))
            if self.path == "/api/create" and payload.get("from") == state.refuse_base:
                self._send(404, (RECORDED / "create_base_not_found.json").read_bytes())
            elif self.path == "/api/create":
                self._send(200, (RECORDED / "create_success.json").read_bytes())
            else:
                self._send(404, b"404 page not found", "text/plain")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def api_client(acme: Any) -> Any:
    """A client of the acme API with an API key."""
    from django.test import Client

    from conftest import ACME_HOST
    from helpdesk.accounts.services import api_key_issue

    with tenant_context(acme):
        raw = api_key_issue(name="lora-tests").raw_key
    return Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {raw}"})
