import itertools

from knowledge.chunking import Chunker, text_sha256
from knowledge.extract import Section


def chunker(embedder, size=40, overlap=10):
    return Chunker(size=size, overlap=overlap, count_tokens=embedder.count_tokens, token_windows=embedder.token_windows)


SENTENCES = [f"Sentence number {i} explains one more step of the refund process." for i in range(12)]


def test_chunks_never_cross_a_heading(embedder):
    sections = [
        Section("Billing", ["Invoices are sent monthly.", "They are PDF files."]),
        Section("Refunds", ["Refunds take five days."]),
    ]
    drafts = chunker(embedder, size=100).chunk(sections)
    assert [(d.heading, d.text) for d in drafts] == [
        ("Billing", "Invoices are sent monthly.\n\nThey are PDF files."),
        ("Refunds", "Refunds take five days."),
    ]
    assert [d.position for d in drafts] == [0, 1]


def test_chunks_respect_the_token_size_of_the_model_tokenizer(embedder):
    drafts = chunker(embedder, size=40, overlap=10).chunk([Section("", [" ".join(SENTENCES)])])
    assert len(drafts) > 3
    assert all(d.token_count <= 40 for d in drafts)
    assert drafts[0].token_count == len(embedder.model.tokenizer(drafts[0].text, add_special_tokens=False).input_ids)


def test_consecutive_chunks_overlap_by_whole_sentences(embedder):
    drafts = chunker(embedder, size=40, overlap=15).chunk([Section("", [" ".join(SENTENCES)])])
    for previous, current in itertools.pairwise(drafts):
        last_sentence = previous.text.split("\n\n")[-1].split(". ")[-1]
        assert current.text.startswith(last_sentence.rstrip(".")), (previous.text, current.text)
    # Every sentence is somewhere, in order.
    joined = " ".join(d.text for d in drafts)
    assert all(s in joined for s in SENTENCES)


def test_no_overlap_when_disabled(embedder):
    drafts = chunker(embedder, size=40, overlap=0).chunk([Section("", SENTENCES)])
    texts = [p for d in drafts for p in d.text.split("\n\n")]
    assert texts == SENTENCES


def test_a_sentence_longer_than_a_chunk_is_cut_into_token_windows(embedder):
    long_sentence = " ".join(f"word{i}" for i in range(200))
    drafts = chunker(embedder, size=32, overlap=0).chunk([Section("", [long_sentence])])
    assert len(drafts) > 2
    assert all(d.token_count <= 32 for d in drafts)
    assert drafts[0].text.startswith("word0") and drafts[-1].text.endswith("word199")


def test_repeated_text_is_stored_once(embedder):
    drafts = chunker(embedder, size=100).chunk(
        [Section("", ["Footer: call us."], {"page": 1}), Section("", ["Footer: call us."], {"page": 2})]
    )
    assert len(drafts) == 1


def test_hash_ignores_whitespace_but_not_words():
    assert text_sha256("Reset  your\npassword ") == text_sha256("Reset your password")
    assert text_sha256("Reset your password") != text_sha256("Reset your passwords")
