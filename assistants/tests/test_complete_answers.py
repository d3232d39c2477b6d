"""The sentence that answers is found: what the question asks for, read in English and Russian.

Evidence is built as the engine builds it, with the real embedding models: MiniLM for English, the multilingual
e5 (centred) for Russian, as a tenant of that language has.
"""

import pytest

from assistants.engine import evidence
from helpdesk.ai import ContextChunk
from helpdesk.ai.embed import embedder

MODEL = {"en": "minilm", "ru": "e5"}


def build(language, question, articles):
    chunks = [ContextChunk(ref=i, text=text, title=title, heading="") for i, (title, text) in enumerate(articles, 1)]
    model = MODEL[language]
    return evidence.build(
        question=question,
        context=chunks,
        language=language,
        embed=lambda texts: embedder(model).embed(list(texts)),
        model=model,
    )


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("en", "How long do I have to return my phone?"),
        ("ru", "Сколько у меня времени, чтобы вернуть телефон?"),
    ],
)
def test_a_phone_the_customer_bought_is_not_a_question_for_a_phone_number(language, question):
    assert "phone" not in evidence.asked_kinds(question, language)
    assert "number" in evidence.asked_kinds(question, language)


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("en", "What is the phone number of your hotline?"),
        ("ru", "По какому номеру телефона звонить в поддержку?"),
        ("ru", "Какой телефон у службы поддержки?"),
    ],
)
def test_a_question_for_the_number_to_call_still_asks_for_a_phone(language, question):
    assert "phone" in evidence.asked_kinds(question, language)


@pytest.mark.parametrize(
    ("language", "question", "articles", "address"),
    [
        (
            "en",
            "Where do I write about my bill?",
            [("Contact", "Send questions about bills to billing@shop.example. Our shop is open from 9:00.")],
            "billing@shop.example",
        ),
        (
            "ru",
            "Куда написать по поводу счёта?",
            [("Контакты", "Вопросы о счетах присылайте на billing@shop.example. Магазин открыт с 9:00.")],
            "billing@shop.example",
        ),
    ],
)
def test_where_to_write_asks_for_an_address_and_gets_the_sentence_with_it(language, question, articles, address):
    assert evidence.asked_kinds(question, language) == {"email"}
    found = build(language, question, articles)
    answer = found.answer_sentences(1)
    assert answer and address in answer[0].text


@pytest.mark.parametrize(
    ("language", "question", "articles"),
    [
        (
            "en",
            "How much is a minute of calls in Kazakhstan?",
            [("Roaming zones", "Kazakhstan and Armenia are in zone 1. A minute of calls there costs 0.40 EUR.")],
        ),
        (
            "ru",
            "Сколько стоит минута разговора в Казахстане?",
            [("Зоны роуминга", "Казахстан и Армения относятся к зоне 1. Минута звонка там стоит 4,90 ₽.")],
        ),
    ],
)
def test_a_place_named_in_another_grammatical_case_is_one_the_articles_know(language, question, articles):
    found = build(language, question, articles)
    assert found.unknown_names() == []
    assert found.answer_floor() == found.min_score
