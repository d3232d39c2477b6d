"""Generation through an Ollama server (production), with the official `ollama` client.

A LoRA adapter runs on Ollama once it is published there ("Publish to Ollama" creates a model
``FROM <base>`` + ``ADAPTER``); the adapter folder then holds ``ollama.json`` naming that model
and the server, and requests with that adapter go to it. Unpublished adapters answer with the
base model, and the answer says no adapter was applied.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import ollama

from helpdesk.ai.types import Generation, GenerationRequest, ProviderError

NAME = "ollama"
PUBLISHED_FILE = "ollama.json"
logger = logging.getLogger(__name__)


def without_host(message: str, host: str) -> str:
    """``message`` with ``host`` (OLLAMA_HOST) and each of its parts cut out.

    Provider errors reach tenant staff (the AI panel, the playground, the API, an adapter's page), and the
    URL can carry credentials (``http://user:secret@…``): what they read names the model, never the server.
    """
    parts = urlsplit(host)
    pieces = {host, host.rstrip("/"), parts.netloc, parts.username or "", parts.password or "", parts.hostname or ""}
    if parts.hostname and parts.port:
        pieces.add(f"{parts.hostname}:{parts.port}")
    pieces |= {unquote(p) for p in pieces}
    for piece in sorted((p for p in pieces if len(p) > 1), key=len, reverse=True):
        message = re.sub(rf"(?<![\w-]){re.escape(piece)}(?![\w-])", "[Ollama server]", message)
    return message


def server_for_logs(host: str) -> str:
    """The server as operators' logs name it: scheme, host and port, without credentials."""
    parts = urlsplit(host)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"


def published_model(adapter: str, host: str) -> str:
    """The Ollama model an adapter folder was published as on ``host``, or ""."""
    try:
        data = json.loads((Path(adapter) / PUBLISHED_FILE).read_text())
    except (OSError, ValueError):
        return ""
    return str(data.get("model", "")) if data.get("host") == host else ""


class OllamaProvider:
    name = NAME

    def __init__(self, *, host: str, model: str, timeout_seconds: float = 30.0) -> None:
        self.host = host
        self.model = model
        self.timeout_seconds = timeout_seconds

    def _client(self, timeout: float) -> Any:
        return ollama.Client(host=self.host, timeout=timeout)

    def adapter_for(self, request: GenerationRequest) -> str:
        return request.adapter if request.adapter and published_model(request.adapter, self.host) else ""

    def _model_for(self, request: GenerationRequest) -> str:
        if self.adapter_for(request):
            return published_model(request.adapter, self.host)
        return request.model or self.model

    def _failure(self, request: GenerationRequest, exc: Exception, *, streaming: bool) -> ProviderError:
        """The error tenants see (the model, no server); the log keeps the server for operators."""
        model = self._model_for(request)
        logger.warning("Ollama at %s, model %s: %r", server_for_logs(self.host), model, exc)
        if isinstance(exc, ollama.ResponseError):
            detail = f"answered {exc.status_code}: {exc.error}"
        elif isinstance(exc, ConnectionError | httpx.ConnectError | httpx.ConnectTimeout):
            detail = f"is unreachable: {type(exc).__name__}: {exc}"
        else:
            detail = f"failed{' while streaming' if streaming else ''}: {type(exc).__name__}: {exc}"
        return ProviderError(without_host(f"Ollama (model {model}) {detail}", self.host))

    def _call(self, request: GenerationRequest, *, stream: bool) -> Any:
        params = request.params
        extra: dict[str, Any] = {"format": request.json_schema} if request.json_schema else {}
        try:
            return self._client(params.timeout_seconds).chat(
                model=self._model_for(request),
                messages=[{"role": m.role, "content": m.content} for m in request.messages],
                options={
                    "temperature": params.temperature,
                    "top_p": params.top_p,
                    "num_predict": params.max_new_tokens,
                },
                stream=stream,
                **extra,
            )
        except Exception as exc:  # whatever the client raised, its text may name the server
            raise self._failure(request, exc, streaming=False) from exc

    def generate(self, request: GenerationRequest) -> Generation:
        started = time.perf_counter()
        response = self._call(request, stream=False)
        latency_ms = (time.perf_counter() - started) * 1000
        text = (response.message.content or "").strip()
        return Generation(
            text=text,
            provider=NAME,
            model=response.model or self._model_for(request),
            tokens=response.eval_count or len(text.split()),
            latency_ms=latency_ms,
            adapter=self.adapter_for(request),
        )

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        try:
            for part in self._call(request, stream=True):
                if part.message.content:
                    yield part.message.content
        except ProviderError:
            raise
        except Exception as exc:  # whatever the client raised, its text may name the server
            raise self._failure(request, exc, streaming=True) from exc

    def check(self) -> tuple[bool, str | None]:
        try:
            models = {m.model for m in self._client(min(self.timeout_seconds, 3.0)).list().models}
        except (ConnectionError, httpx.HTTPError) as exc:
            logger.warning("Ollama at %s is unreachable: %r", server_for_logs(self.host), exc)
            return False, without_host(
                f"Ollama (model {self.model}) is unreachable: {type(exc).__name__}: {exc}", self.host
            )
        wanted = self.model if ":" in self.model else f"{self.model}:latest"
        if wanted not in models:
            return False, f"model {self.model} is not pulled on the Ollama server (ollama pull {self.model})"
        return True, None
