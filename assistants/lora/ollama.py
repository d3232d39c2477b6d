"""Publishing an adapter to Ollama: upload ``adapter.gguf`` as a blob, create ``FROM <base>`` + ``ADAPTER``.

Through the official client (``create_blob``: ``POST /api/blobs/sha256:…``; ``create``:
``POST /api/create`` with ``from`` and ``adapters``). The base must be the model the adapter
was trained on (SmolLM2-135M-Instruct: ``smollm2:135m``); ``LORA_OLLAMA_BASE`` names it.
Afterwards ``ollama.json`` in the adapter folder tells the Ollama provider which model to call.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from helpdesk.ai.providers.ollama import PUBLISHED_FILE, server_for_logs, without_host

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 300.0


class PublishError(RuntimeError):
    """Ollama refused or could not be reached; the message says which (naming the model, never the server)."""


def publish(*, folder: Path, name: str, host: str, base: str) -> str:
    # heavy: loaded on first use (the ollama client takes 0.4 s to import, and only publishing needs it)
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
        raise _failure(host, name, f"refused the model {name} ({exc.status_code}): {exc.error}", exc) from exc
    except (ConnectionError, httpx.HTTPError) as exc:
        why = f"{type(exc).__name__}: {exc}"
        raise _failure(host, name, f"is unreachable, {name} was not published: {why}", exc) from exc
    if result.status != "success":
        raise _failure(host, name, f"answered {result.status!r} instead of success for {name}.", None)
    (folder / PUBLISHED_FILE).write_text(json.dumps({"model": name, "host": host, "base": base, "blob": digest}))
    return name


def _failure(host: str, name: str, what: str, exc: Exception | None) -> PublishError:
    """What the adapter's page, its events and the API show; the log names the server for operators."""
    logger.warning("Publishing %s to Ollama at %s failed: %r", name, server_for_logs(host), exc or what)
    return PublishError(without_host(f"Ollama {what}", host))
