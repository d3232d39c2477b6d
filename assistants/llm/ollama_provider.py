"""Generation through an Ollama server (production), with the official `ollama` client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from assistants.llm.base import Generation, GenerationRequest, ProviderError

NAME = "ollama"


class OllamaProvider:
    name = NAME

    def __init__(self, *, host: str, model: str, timeout_seconds: float = 30.0) -> None:
        self.host = host
        self.model = model
        self.timeout_seconds = timeout_seconds

    def _client(self, timeout: float) -> Any:
        import ollama

        return ollama.Client(host=self.host, timeout=timeout)

    def _call(self, request: GenerationRequest, *, stream: bool) -> Any:
        import httpx
        import ollama

        params = request.params
        extra: dict[str, Any] = {"format": request.json_schema} if request.json_schema else {}
        try:
            return self._client(params.timeout_seconds).chat(
                model=request.model or self.model,
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
            model=response.model or request.model or self.model,
            tokens=response.eval_count or len(text.split()),
            latency_ms=latency_ms,
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
