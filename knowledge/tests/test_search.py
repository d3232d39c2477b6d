import pytest
from django_tenants.utils import tenant_context

from knowledge import services
from knowledge.tests.conftest import index_text


@pytest.fixture
def corpus(in_acme):
    docs = {
        "password": index_text(
            "Reset your password",
            "Click Forgot password on the sign-in page; we email you a reset link valid for one hour.",
            tags=["account"],
        ),
        "refunds": index_text(
            "Refunds",
            "Refunds are paid back to the original card within ten business days after approval.",
            tags=["billing"],
        ),
        "shipping": index_text("Shipping", "Parcels leave the warehouse within one business day.", tags=["orders"]),
        "russian": index_text(
            "Пароль", "Чтобы сбросить пароль, нажмите «Забыли пароль» на странице входа.", language="ru"
        ),
    }
    return docs


def test_hybrid_finds_by_meaning_and_by_words_and_says_which_retriever(corpus):
    hits = services.search("I forgot my password", top_k=3)
    top = hits[0]
    assert top.document_id == corpus["password"].pk and top.document_title == "Reset your password"
    assert set(top.retrievers) == {"vector", "keyword"}
    assert "password" in top.highlights and "forgot" in top.highlights
    assert top.score == pytest.approx(1.5 / 11)  # first in both rankings
    assert top.similarity is not None and 0 < top.similarity <= 1


def test_vector_mode_finds_paraphrases_without_shared_words(corpus):
    hits = services.search("money back to my credit card", mode="vector", top_k=1)
    assert hits[0].document_id == corpus["refunds"].pk and hits[0].retrievers == ("vector",)
    assert hits[0].score == pytest.approx(hits[0].similarity)


def test_keyword_mode_needs_the_words(corpus):
    assert services.search("reimbursement of a purchase", mode="keyword", top_k=5) == []
    # Not every word has to match: when no chunk holds them all, any of them counts.
    loose = services.search("credit card money", mode="keyword", top_k=5)
    assert [h.document_id for h in loose] == [corpus["refunds"].pk] and loose[0].highlights == ("card",)
    # Quoted phrases stay strict.
    assert services.search('"card money"', mode="keyword") == []
    hits = services.search("warehouse", mode="keyword")
    assert [h.document_id for h in hits] == [corpus["shipping"].pk]
    assert hits[0].similarity is None and hits[0].highlights == ("warehouse",)


def test_keyword_search_stems_russian(corpus):
    hits = services.search("сброс паролей", mode="keyword")
    assert [h.document_id for h in hits] == [corpus["russian"].pk]


def test_filters_by_tags_language_and_document(corpus):
    assert {h.document_id for h in services.search("business days", tags=["billing"], top_k=10)} == {
        corpus["refunds"].pk
    }
    assert {h.document_id for h in services.search("password", language="ru", top_k=10)} == {corpus["russian"].pk}
    only = services.search("password", document_ids=[corpus["shipping"].pk], top_k=10)
    assert {h.document_id for h in only} == {corpus["shipping"].pk}


def test_minimum_similarity_drops_unrelated_chunks(corpus):
    hits = services.search("quantum chromodynamics lecture", mode="vector", top_k=10, min_similarity=0.3)
    assert hits == []
    assert services.search("reset password link", min_similarity=0.3)


def test_bad_arguments_are_refused(corpus):
    with pytest.raises(services.SearchError, match="empty"):
        services.search("   ")
    with pytest.raises(services.SearchError, match="Unknown mode"):
        services.search("x", mode="fuzzy")
    with pytest.raises(services.SearchError, match="top_k"):
        services.search("x", top_k=0)


def test_a_chunk_of_acme_never_appears_in_globex_search(corpus, globex):
    with tenant_context(globex):
        for mode in services.SearchMode:
            assert services.search("reset your password", mode=mode, top_k=50) == []
        index_text("Globex password", "Globex staff reset passwords at the front desk.")
        hits = services.search("reset your password", top_k=50)
        assert [h.document_title for h in hits] == ["Globex password"]
