"""LoRA adapters: training (its own Celery queue), evaluation, serving and publishing to Ollama."""

from __future__ import annotations

from pathlib import Path

from helpdesk.env import env_choice, env_float, env_int, env_str
from helpdesk.settings.env import VAR_DIR

# Training runs on its own Celery queue, so that a GPU host can take it while web and the default
# workers stay on CPU: `celery -A helpdesk worker -Q training --concurrency=1` (Procfile `training`).
LORA_QUEUE = env_str("LORA_QUEUE", "training")
LORA_DEVICE = env_choice("LORA_DEVICE", "auto", {"auto", "cpu", "cuda"})  # auto: cuda when torch sees a GPU
LORA_DTYPE = env_choice("LORA_DTYPE", "bfloat16", {"bfloat16", "float32"})  # bf16 trains ~1.7x faster here
LORA_THREADS = env_int("LORA_THREADS", 0, minimum=0)  # CPU threads for training; 0: every core
# Held-out loss must drop by this fraction for a version to be activated without a manager's override.
LORA_MIN_HELDOUT_DROP = env_float("LORA_MIN_HELDOUT_DROP", 0.10)
LORA_EVAL_QUESTIONS = env_int("LORA_EVAL_QUESTIONS", 8, minimum=0, maximum=200)  # held-out answers compared
LORA_STALE_SECONDS = env_int("LORA_STALE_SECONDS", 600, minimum=30)  # a running job silent this long is lost
LORA_CONVERTER_DIR = Path(env_str("LORA_CONVERTER_DIR", str(VAR_DIR / "llama.cpp")))
LORA_ADAPTER_CACHE = env_int("LORA_ADAPTER_CACHE", 8, minimum=1, maximum=256)  # adapters kept loaded per process
# llama.cpp keeps each adapter's prompt-prefix KV cache across switches, up to this much per process (0: off).
LORA_PROMPT_CACHE_MB = env_int("LORA_PROMPT_CACHE_MB", 256, minimum=0)
LORA_OLLAMA_BASE = env_str("LORA_OLLAMA_BASE", "smollm2:135m")  # the Ollama model adapters are published on
