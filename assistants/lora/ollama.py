"""Publishing an adapter to Ollama: upload ``adapter.gguf`` as a blob, create ``FROM <base>`` + ``ADAPTER``.

Through the official client (``create_blob``: ``POST /api/blobs/sha256:…``; ``create``:
``POST /api/create`` with ``from`` and ``adapters``). The base must be the model the adapter
was trained on (SmolLM2-135M-Instruct: ``smollm2:135m``); ``LORA_OLLAMA_BASE`` names it.
Afterwards ``ollama.json`` in the adapter folder tells the Ollama provider which model to call.
"""

from __future__ import annotations

import json
from pathlib import Path

from assistants.llm.ollama_provider import PUBLISHED_FILE

TIMEOUT_SECONDS = 300.0


class PublishError(RuntimeError):
    """Ollama refused or could not be reached; the message says which."""


def publish(*, folder: Path, name: str, host: str, base: str) -> str:
    import httpx
    import ollama

    gguf = folder / "adapter.gguf"
    if not gguf.exists():
        raise PublishError("This version has no llama.cpp (GGUF) copy to publish; see its conversion error.")
    client = ollama.Client(host=host, timeout=TIMEOUT_SECONDS)
    try:
        digest = client.create_blob(gguf)
        result = client.create(model=name, from_=base, adapters={"adapter.gguf": digest}, stream=False)
    except ollama.ResponseError as exc:
        raise PublishError(f"Ollama at {host} refused the model ({exc.status_code}): {exc.error}") from exc
    except (ConnectionError, httpx.HTTPError) as exc:
        raise PublishError(f"Ollama at {host} is unreachable: {type(exc).__name__}: {exc}") from exc
    if result.status != "success":
        raise PublishError(f"Ollama at {host} answered {result.status!r} instead of success.")
    (folder / PUBLISHED_FILE).write_text(json.dumps({"model": name, "host": host, "base": base, "blob": digest}))
    return name
