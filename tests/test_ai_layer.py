"""The AI provider layer (helpdesk.ai): light to import, one registry, the fallback registered by its app."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistants.engine.extractive import ExtractiveProvider
from helpdesk import ai
from helpdesk.ai import FALLBACK, GenerationRequest, Message, ProviderError, generate, get_provider, register_provider

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "sentence_transformers", "llama_cpp", "peft")


def test_importing_the_layer_loads_no_model_library():
    code = (
        "import django, sys; django.setup(); import helpdesk.ai; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1:] in ([], [""]), done.stdout


def test_providers_do_not_import_the_registry_nor_any_app():
    for path in (ROOT / "helpdesk" / "ai" / "providers").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module != "helpdesk.ai.registry" and node.module.split(".")[0] != "assistants", path


def test_the_fallback_provider_is_the_assistants_extractive_answer():
    assert isinstance(get_provider(FALLBACK), ExtractiveProvider)


def test_only_known_provider_names_can_be_registered():
    with pytest.raises(ValueError, match="not one of the provider names"):
        register_provider("gpt", ExtractiveProvider)


def test_without_fallback_a_failure_is_raised_not_answered():
    request = GenerationRequest(messages=[Message("user", "Hello?")])
    with pytest.raises(ProviderError, match="unknown LLM provider"):
        generate(request, "nope", fallback=False)
    answered = generate(request, "nope")
    assert answered.provider == FALLBACK and answered.fallback_from == "nope"


def test_embeddings_are_unit_vectors_of_the_configured_width():
    vectors = ai.embed(["reset my password", "where is my parcel"])
    assert vectors.shape == (2, ai.EMBEDDING_DIMENSIONS)
    assert abs(float(vectors[0] @ vectors[0]) - 1) < 1e-4
    assert ai.embed_query("reset my password") @ vectors[0] > 0.99
