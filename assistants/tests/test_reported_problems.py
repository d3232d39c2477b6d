"""A customer who reports a problem instead of asking gets the article's instruction for that case, with its
citation; a question the help center cannot answer is still declined.

Evidence is built and quoted as the engine does, with the real embedding models: MiniLM for English, the
multilingual e5 (centred) for Russian, as a tenant of that language has.
"""

import json
from pathlib import Path

import pytest

from assistants.engine import evidence
from assistants.engine.verification import Verifier
from helpdesk.ai import ContextChunk
from helpdesk.ai.embed import embedder

MODEL = {"en": "minilm", "ru": "e5"}

# The veterinary clinic of the answer benchmark, whose pharmacy article has a "Damaged parcel" section and whose
# payment article a "Card declined" one.
FIXTURES = Path(__file__).resolve().parents[2] / "bench" / "fixtures"
CLINIC = {language: json.loads((FIXTURES / f"vet_{language}.json").read_text()) for language in ("en", "ru")}


def build(language, question):
    # One chunk per section, as the knowledge pipeline cuts these short articles.
    sections = [
        (a["title"], part if n == 0 else f"## {part}")
        for a in CLINIC[language]["articles"]
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
    """The extractive answer as the engine shows it: the sentences verification lets through, with their refs."""
    verifier = Verifier(found)
    checked = [verifier.quote(s) for s in found.answer_sentences(3)]
    return [(c.text, c.ref) for c in checked if c.verified]


@pytest.mark.parametrize(
    ("language", "report", "instruction", "article"),
    [
        (
            "en",
            "The box with the cat food arrived crushed",
            "send us a photo within 3 days",
            "Pharmacy and food orders",
        ),
        ("en", "Error 402, card expired", "check that it has not expired", "Payment and insurance"),
        ("ru", "Не прошла оплата на кассе, карта просрочена", "не истёк ли срок её действия", "Оплата и страховка"),
    ],
)
def test_a_reported_problem_gets_the_instruction_for_that_case_with_its_citation(
    language, report, instruction, article
):
    found = build(language, report)
    answer = cited_answer(found)
    assert answer, f"declined: {report!r}"
    text, ref = answer[0]
    assert instruction in text and found.chunks[ref].title == article, answer
    assert evidence.reports_problem(report, language)


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("en", "The box arrived crushed, what do I do?"),
        ("en", "What happens if the box arrives crushed?"),
        ("ru", "Коробка пришла помятой, что делать?"),
        ("ru", "Что делать, если коробка пришла помятой?"),
    ],
)
def test_a_question_is_not_read_as_a_report(language, question):
    assert not evidence.reports_problem(question, language)


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("en", "Is there a car park near the clinic?"),
        ("en", "Do you run obedience classes for puppies?"),
        ("ru", "Есть ли парковка рядом с клиникой?"),
        ("ru", "Проводите ли вы занятия по дрессировке щенков?"),
    ],
)
def test_a_question_the_help_center_does_not_answer_is_still_declined(language, question):
    assert cited_answer(build(language, question)) == []


@pytest.mark.parametrize(
    ("language", "question", "fact"),
    [
        # "работаете" and "работы" of the heading are one verb; the stemmer cuts them differently.
        ("ru", "Вы работаете в воскресенье?", "клиника закрыта"),
        ("en", "Are you open on Sunday?", "the clinic is closed"),
    ],
)
def test_a_question_in_another_form_of_the_articles_words_is_answered(language, question, fact):
    answer = cited_answer(build(language, question))
    assert answer and any(fact in text for text, _ in answer), answer


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
