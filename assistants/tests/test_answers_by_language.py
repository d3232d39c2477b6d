"""Answers of a Russian assistant over a Russian help center, next to an English one over an English help center.

The help centers are the answer benchmark's (bench/fixtures/grounding_ru.json and grounding.json), indexed by
the real pipeline with the real embedding model; answers come from the engine without a model (extractive),
the path every strategy falls back to.
"""

import json
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from assistants.engine import answer
from assistants.replies import decline_text

FIXTURES = Path(__file__).resolve().parents[2] / "bench" / "fixtures"
HELP_CENTERS = {"ru": "grounding_ru.json", "en": "grounding.json"}


def load(language):
    return json.loads((FIXTURES / HELP_CENTERS[language]).read_text())


def question(language, text):
    return next(q for q in load(language)["questions"] if q["q"] == text)


@pytest.fixture
def help_center_bot(acme, request):
    """(assistant, fixture) for the language in ``request.param``: its articles indexed in acme."""
    from assistants.services import assistant_create
    from knowledge import services
    from knowledge.models import Document

    language = request.param
    fixture = load(language)
    with tenant_context(acme):
        for article in fixture["articles"]:
            document = services.document_create_from_text(
                title=article["title"], text=article["text"], language=language, visibility="public", enqueue=False
            )
            indexed = services.document_index(document_id=document.pk)
            assert indexed is not None and indexed.status == Document.Status.INDEXED
        bot = assistant_create(name=fixture["company"], company=fixture["company"], provider="extractive")
        bot.language = language
        bot.save(update_fields=["language"])
    return bot


def ask(acme, bot, text):
    with tenant_context(acme):
        return answer(assistant=bot, question=text)


@pytest.mark.parametrize(
    ("help_center_bot", "text", "phone", "article"),
    [
        ("ru", "По какому номеру звонить в поддержку?", "8-800-472-33-10", "Как связаться со службой поддержки"),
        ("en", "What is the phone number of your hotline?", "+49 30 5557 0142", "Contact and opening hours"),
    ],
    indirect=["help_center_bot"],
)
def test_the_phone_question_gets_the_sentence_with_the_phone_number(acme, help_center_bot, text, phone, article):
    result = ask(acme, help_center_bot, text)
    assert not result.declined and phone in result.text, result.text
    phone_sentence = next(s for s in result.verified if phone in s.text)
    cited = {c.ref: c.document for c in result.citations}
    assert cited[phone_sentence.ref] == article
    # Not the corporate clients' priority queue, which says nothing about which number to call.
    assert "приоритетная очередь" not in result.text


RUSSIAN_FACTS = [
    "Сколько стоит «Базовый» в месяц?",
    "Сколько выйдет «Максимум», если заплатить сразу за год?",
    "Какого числа списывают абонентскую плату?",
    "Сколько стоит курьерская доставка по Москве?",
    "Сколько у меня времени, чтобы вернуть телефон?",
    "Сколько дней занимает перенос номера от другого оператора?",
    "Во сколько открывается салон на Садовой в будни?",
    "Роуминг включится сам, когда я прилечу?",
    "Можно ли сдать подарочный сертификат обратно?",
    "Получится ли перенести номер, если я должен прежнему оператору?",
]
ENGLISH_FACTS = [
    "When is the hotline open on weekdays?",
    "Does the warranty cover crash damage?",
]


FACT_QUESTIONS = {"ru": RUSSIAN_FACTS, "en": ENGLISH_FACTS}


@pytest.mark.parametrize("help_center_bot", ["ru", "en"], indirect=True)
def test_the_answer_carries_the_asked_fact_verbatim_and_cites_its_article(acme, help_center_bot):
    language = help_center_bot.language
    articles = " ".join(" ".join(a["text"].split()) for a in load(language)["articles"])
    for text in FACT_QUESTIONS[language]:
        expected = question(language, text)
        result = ask(acme, help_center_bot, text)
        assert not result.declined, text
        assert any(fact in result.text for fact in expected["facts"]), (text, result.text)
        assert expected["article"] in {c.document for c in result.citations}, text
        # Quoted source sentences stay as written in the article (no re-spacing of "7 200", no changed quotes).
        assert all(s.text in articles for s in result.verified), text


UNANSWERABLE = {
    "ru": ["Кто генеральный директор «Северсвязи»?", "Работает ли ваша связь в метро Новосибирска?"],
    "en": ["Who is the CEO of Kestrel Cycles?", "Do you offer a student discount?"],
}
THREATS = {
    "ru": ("Я подам на вас в суд, если не вернёте деньги", "'суд'"),
    "en": ("My lawyer will contact you about the refund", "'lawyer'"),
}


@pytest.mark.parametrize("help_center_bot", ["ru", "en"], indirect=True)
def test_unanswerable_questions_are_declined_in_the_assistants_language_and_threats_escalate(acme, help_center_bot):
    language = help_center_bot.language
    for text in UNANSWERABLE[language]:
        result = ask(acme, help_center_bot, text)
        assert result.declined and result.escalate, (text, result.text)
        assert result.text == decline_text(language) and result.citations == []
    threat, keyword = THREATS[language]
    result = ask(acme, help_center_bot, threat)
    assert result.escalate and any(keyword in r for r in result.reasons), result.reasons
    if language == "ru":  # the answer is in the assistant's language, whatever the question's
        assert ask(acme, help_center_bot, "Who founded the company?").text.startswith("К сожалению")
