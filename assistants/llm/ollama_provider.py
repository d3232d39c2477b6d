"""Generation through an Ollama server (production), with the official `ollama` client.

A LoRA adapter runs on Ollama once it is published there ("Publish to Ollama" creates a model
``FROM <base>`` + ``ADAPTER``); the adapter folder then holds ``ollama.json`` naming that model
and the server, and requests with that adapter go to it. Unpublished adapters answer with the
base model, and the answer says no adapter was applied.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistants.llm.base import Generation, GenerationRequest, ProviderError

NAME = "ollama"
PUBLISHED_FILE = "ollama.json"


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
        import ollama

        return ollama.Client(host=self.host, timeout=timeout)

    def adapter_for(self, request: GenerationRequest) -> str:
        return request.adapter if request.adapter and published_model(request.adapter, self.host) else ""

    def _model_for(self, request: GenerationRequest) -> str:
        if self.adapter_for(request):
            return published_model(request.adapter, self.host)
        return request.model or self.model

    def _call(self, request: GenerationRequest, *, stream: bool) -> Any:
        import httpx
        import ollama

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
        except ollama.ResponseError as exc:
            raise ProviderError(f"Ollama at {self.host} answered {exc.status_code}: {exc.error}") from exc
        except (ConnectionError, httpx.HTTPError) as exc:
            raise ProviderError(f"Ollama at {self.host} is unreachable: {type(exc).__name__}: {exc}") from exc

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
        import httpx
        import ollama

        try:
            for part in self._call(request, stream=True):
                if part.message.content:
                    yield part.message.content
        except ollama.ResponseError as exc:
            raise ProviderError(f"Ollama at {self.host} answered {exc.status_code}: {exc.error}") from exc
        except (ConnectionError, httpx.HTTPError) as exc:
            raise ProviderError(f"Ollama at {self.host} failed while streaming: {exc}") from exc

    def check(self) -> tuple[bool, str | None]:
        import httpx

        try:
            models = {m.model for m in self._client(min(self.timeout_seconds, 3.0)).list().models}
        except (ConnectionError, httpx.HTTPError) as exc:
            return False, f"Ollama at {self.host} is unreachable: {exc}"
        wanted = self.model if ":" in self.model else f"{self.model}:latest"
        if wanted not in models:
            return False, f"model {self.model} is not pulled on {self.host} (ollama pull {self.model})"
        return True, None
