"""An answer worded otherwise than the question is found before the assistant declines; a question the help center
cannot answer is still declined.

The sentence embeddings score "If you find water or damp in your unit, ..." under the answer floor for "There is a
leak, my boxes are wet"; before declining, the chat model (Qwen through llama.cpp, loaded once per session by the
``qwen`` fixture) reads the nearest sentences and names the one that answers, if any. Everything runs with the real
models: MiniLM for English, the multilingual e5 (centred) for Russian, as a tenant of that language has.
"""

import json
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from assistants.engine import answer, evidence, judging
from assistants.engine.verification import Verifier
from assistants.services import assistant_create
from helpdesk.ai import ContextChunk
from helpdesk.ai.chat_models import QWEN, SMOLLM2
from helpdesk.ai.embed import embedder
from knowledge import services

MODEL = {"en": "minilm", "ru": "e5"}
# The self-storage company of the answer benchmark: its articles answer in other words than its customers ask.
FIXTURES = Path(__file__).resolve().parents[2] / "bench" / "fixtures"
STORAGE = {language: json.loads((FIXTURES / f"storage_{language}.json").read_text()) for language in ("en", "ru")}

LEAK = {
    "en": ("There is a leak, my boxes are wet", "If you find water or damp in your unit", "Insurance and damage"),
    "ru": ("Протечка, коробки намокли", "Если вы заметили в боксе воду или сырость", "Страхование и повреждения"),
}
TROLLEYS = (
    "Тележки платные?",
    "Тележками и грузовым лифтом можно пользоваться бесплатно",
    "Доставки и помощь с переездом",
)
ELSEWHERE = {"en": "Do you have a storage site in Berlin?", "ru": "Есть ли у вас склад в Казани?"}


def build(language, question):
    # One chunk per section, as the knowledge pipeline cuts these short articles.
    sections = [
        (a["title"], part if n == 0 else f"## {part}")
        for a in STORAGE[language]["articles"]
        for n, part in enumerate(a["text"].split("\n## "))
    ]
    chunks = [ContextChunk(ref=i, text=text, title=title, heading="") for i, (title, text) in enumerate(sections, 1)]
    model = MODEL[language]
    return evidence.build(
        question=question,
        context=chunks,
        language=language,
        embed=lambda texts: embedder(model).embed(list(texts)),
        model=model,
    )


def cited_answer(found):
    verifier = Verifier(found)
    checked = [verifier.quote(s) for s in found.answer_sentences(3)]
    return [(c.text, found.chunks[c.ref].title) for c in checked if c.verified]


@pytest.mark.parametrize(
    ("language", "question", "answer_starts", "article"),
    [
        ("en", *LEAK["en"]),
        ("en", "Can I use my unit as a workshop?", "Nobody may live or work in a unit", "What you may not store"),
        ("ru", *LEAK["ru"]),
        (
            "ru",
            "Тележки платные?",
            "Тележками и грузовым лифтом можно пользоваться бесплатно",
            "Доставки и помощь с переездом",
        ),
    ],
)
def test_the_judge_names_the_sentence_that_answers_in_other_words(qwen, language, question, answer_starts, article):
    found = build(language, question)
    assert cited_answer(found) == [], "the embeddings alone already answer: nothing left to judge"
    judgement = judging.judge(found, provider="llamacpp", model=QWEN.key)
    assert judgement.sentence is not None, judging.prompt(found, judging.candidates(found))
    found.confirmed = judgement.sentence
    answer_text, cited = cited_answer(found)[0]
    assert answer_text.startswith(answer_starts) and cited == article


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("en", ELSEWHERE["en"]),
        ("en", "Is the building watched by CCTV cameras?"),
        ("ru", ELSEWHERE["ru"]),
        ("ru", "Ведётся ли на складе видеонаблюдение?"),
    ],
)
def test_the_judge_names_no_sentence_for_a_question_the_articles_cannot_answer(qwen, language, question):
    found = build(language, question)
    assert cited_answer(found) == []
    assert judging.judge(found, provider="llamacpp", model=QWEN.key).sentence is None


def test_only_a_model_that_can_judge_is_asked():
    assert judging.judge_model(provider="llamacpp", chat_model=QWEN.key) == QWEN.key
    # SmolLM2 names a sentence for almost any question: Qwen judges for its assistants.
    assert judging.judge_model(provider="llamacpp", chat_model=SMOLLM2.key) == QWEN.key
    assert judging.judge_model(provider="extractive", chat_model="") == ""


@pytest.mark.parametrize(
    ("language", "report", "instruction"),
    [
        ("en", "Card expired, what is the fee for a new one", "If your card has expired, a new card costs 5 EUR."),
        ("ru", "Карта просрочена, сколько стоит перевыпуск", "Если срок карты истёк, перевыпуск стоит 300 ₽."),
    ],
)
def test_an_instruction_with_the_asked_fact_keeps_the_larger_bonus_of_a_report(language, report, instruction):
    chunks = [ContextChunk(ref=1, text=instruction, title="Cards", heading="")]
    model = MODEL[language]
    found = evidence.build(
        question=report,
        context=chunks,
        language=language,
        embed=lambda texts: embedder(model).embed(list(texts)),
        model=model,
    )
    assert evidence.reports_problem(report, language) and evidence.asked_kinds(report, language) == {"number"}
    assert found.sentences[0].bonus == evidence.REPORT_BONUS > evidence.ANSWER_TYPE_BONUS


def index(language):
    for article in STORAGE[language]["articles"]:
        document = services.document_create_from_text(
            title=article["title"], text=article["text"], language=language, visibility="public", enqueue=False
        )
        services.document_index(document_id=document.pk)


@pytest.mark.parametrize(("language", "case"), [("en", LEAK["en"]), ("ru", TROLLEYS)])
def test_an_assistant_on_llamacpp_answers_in_other_words_and_still_declines_what_it_cannot(acme, qwen, language, case):
    """Through the engine, with each language's default chat model (English: SmolLM2, judged by Qwen)."""
    question, answer_starts, article = case
    if language == "ru":  # Russian knowledge is read by the multilingual model, as in a Russian tenant
        acme.embedding_model = "e5"
        acme.save(update_fields=["embedding_model"])
    with tenant_context(acme):
        index(language)
        bot = assistant_create(name=f"Storage {language}", language=language, provider="llamacpp")
        bot.request_types.all().delete()
        answered = answer(assistant=bot, question=question)
        declined = answer(assistant=bot, question=ELSEWHERE[language])
    assert not answered.declined and answered.text.startswith(answer_starts), answered.as_dict()
    assert [c.document for c in answered.citations] == [article]
    assert declined.declined and not declined.citations, declined.as_dict()
