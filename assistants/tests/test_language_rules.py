"""The engine's language rules in Russian next to English: sentences, facts, negation, script, escalation."""

import pytest

from assistants.defaults import DEFAULT_REQUEST_TYPES
from assistants.engine import classify
from assistants.engine.escalation import decide
from assistants.engine.evidence import asked_kinds, build
from assistants.engine.extractive import ExtractiveProvider
from assistants.engine.facts import facts, has_negation
from assistants.engine.language import cyrillic_share, text_language
from assistants.engine.sentences import content_stems, split
from assistants.engine.verification import verify
from assistants.models import DEFAULT_ESCALATION_KEYWORDS
from assistants.replies import ReplySentence, decline_text, draft, widget_greeting
from helpdesk.ai import ContextChunk, GenerationRequest


def kinds_values(text):
    return [(f.kind, f.value) for f in facts(text)]


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (
            "Оплата идёт в рублях, т.е. без конвертации. Звонки, СМС и т.д. входят в пакет.",
            ["Оплата идёт в рублях, т.е. без конвертации.", "Звонки, СМС и т.д. входят в пакет."],
        ),
        (
            "Наш офис находится на ул. Садовой, д. 5, в здании им. Попова. Приходите с паспортом.",
            ["Наш офис находится на ул. Садовой, д. 5, в здании им. Попова.", "Приходите с паспортом."],
        ),
        (
            "Тариф стоит 500 руб. в месяц. Договор от 2024 г. действует год.",
            ["Тариф стоит 500 руб. в месяц.", "Договор от 2024 г. действует год."],
        ),
        ("Абонентская плата — 7 200 руб. Это за год.", ["Абонентская плата — 7 200 руб.", "Это за год."]),
        (
            "Скидка 10 % на роуминг, звонки и т.д. Подробности ниже.",
            ["Скидка 10 % на роуминг, звонки и т.д.", "Подробности ниже."],
        ),
        ("Call us e.g. on Monday. Mr. Smith answers.", ["Call us e.g. on Monday.", "Mr. Smith answers."]),
    ],
)
def test_sentences_end_where_a_reader_sees_an_end(paragraph, expected):
    language = "ru" if cyrillic_share(paragraph) > 0.5 else "en"
    assert split(paragraph, language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Годовая подписка стоит 7 200 рублей.", [("number", "7200"), ("unit", "rub")]),
        ("Годовая подписка стоит 7200 ₽.", [("number", "7200"), ("unit", "rub")]),
        ("Минута разговора — 4,90 ₽.", [("number", "4.9"), ("unit", "rub")]),
        ("К оплате 1 234,50 ₽.", [("number", "1234.5"), ("unit", "rub")]),
        ("Клиентов у нас 1 500 000.", [("number", "1500000")]),
        ("Звоните 8-800-472-33-10.", [("phone", "78004723310")]),
        ("Звоните +7 800 472-33-10.", [("phone", "78004723310")]),
        ("Офис: +7 (495) 123-45-67.", [("phone", "74951234567")]),
        ("Плата списывается 17-го числа.", [("number", "17")]),
        ("Заявки принимаем до 25 декабря.", [("number", "25"), ("calendar", "dec")]),
        (
            "Офис открыт по будням, в субботу до 15:00.",
            [("calendar", "weekday"), ("calendar", "sat"), ("time", "15:00")],
        ),
        ("После 30 ГБ скорость 128 кбит/с.", [("number", "30"), ("unit", "gb"), ("number", "128"), ("unit", "kbit/s")]),
        ("До 100 Мбит/с и 300 мин.", [("number", "100"), ("unit", "mbit/s"), ("number", "300"), ("unit", "min")]),
        # English stays as it was, and a mixed grouping reads its last mark as the decimal one.
        ("It costs 7,200 or 1,234.50 or 6,50.", [("number", "7200"), ("number", "1234.5"), ("number", "6.5")]),
        ("Call 0800-555-0199 between 2 and 3.", [("phone", "8005550199"), ("number", "2"), ("number", "3")]),
    ],
)
def test_facts_are_normalised_so_spellings_of_one_fact_agree(text, expected):
    assert kinds_values(text) == expected


def test_a_spaced_thousand_and_a_decimal_comma_are_the_numbers_they_mean():
    assert {f.value for f in facts("7 200 ₽")} & {f.value for f in facts("7200 руб.")} == {"7200", "rub"}
    assert facts("4,90")[0].value == facts("4.90")[0].value == "4.9"
    assert facts("30 МБ")[1].value != facts("30 ГБ")[1].value


@pytest.mark.parametrize(
    ("text", "language", "negated"),
    [
        ("Роуминг не подключается автоматически.", "ru", True),
        ("Нет, комиссия не взимается.", "ru", True),
        ("Возврат без чека возможен.", "ru", True),
        ("Ни один тариф не включает международные звонки.", "ru", True),
        ("Нельзя вернуть сим-карту после активации.", "ru", True),
        ("Перенести номер невозможно, если есть долг.", "ru", True),
        ("Роуминг подключается автоматически.", "ru", False),
        ("Номер нужен для входа; неделя начинается с понедельника.", "ru", False),
        ("Refunds are not possible after 30 days.", "en", True),
        ("Refunds are possible within 30 days.", "en", False),
    ],
)
def test_negation_is_read_in_each_language(text, language, negated):
    assert has_negation(text, language) is negated


def test_the_script_decides_which_rules_read_a_text():
    assert text_language("По какому номеру звонить в поддержку?", "en") == "ru"
    assert text_language("What is your phone number?", "ru") == "en"
    assert text_language("Звоните на 8-800-472-33-10 или пишите на help@mobi.example", "ru") == "ru"
    assert text_language("Wie erreiche ich Sie?", "de") == "de"
    assert text_language("12:00", "ru") == "ru"
    # A Russian sentence read with its own rules has stems; English rules would leave its words whole.
    assert content_stems("Подключение роуминга", text_language("Подключение роуминга", "en")) == {
        "подключен",
        "роуминг",
    }


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("По какому номеру звонить в поддержку?", {"phone"}),
        ("Какой телефон у горячей линии?", {"phone"}),
        ("Сколько стоит роуминг в Турции?", {"number"}),
        ("До какого числа нужно оплатить счёт?", {"number", "time", "calendar"}),
        ("What is the hotline number?", {"phone"}),
    ],
)
def test_the_kind_of_fact_a_question_asks_for(question, kinds):
    assert asked_kinds(question, text_language(question, "en")) == kinds


def escalation(text, keywords):
    return decide(
        text=text,
        keywords=keywords,
        best_similarity=0.9,
        min_similarity=0.3,
        request_type="support",
        always_escalate_types=[],
        classifier_confidence=0.9,
    )


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("Я буду разговаривать только с юристом", "юрист"),
        ("Подам на вас в суд!", "суд"),
        ("Требую возврата денег за прошлый месяц", "возврат денег"),
        ("Хочу отменить договор с вами", "отменить договор"),
        ("Это мошенничество чистой воды", "мошенничество"),
        ("Пишу жалобу на вашего оператора", "жалоба"),
        ("My lawyer will contact you", "lawyer"),
    ],
)
def test_escalation_keywords_match_in_any_form(text, keyword):
    decision = escalation(text, DEFAULT_ESCALATION_KEYWORDS)
    assert decision.escalate and f"'{keyword}'" in decision.reasons[0]


@pytest.mark.parametrize(
    "text", ["Судя по всему, роуминг не работает в Турции", "Как вернуть товар?", "I would like a lawyers' discount"]
)
def test_escalation_keywords_do_not_fire_on_near_words(text):
    assert not escalation(text, DEFAULT_ESCALATION_KEYWORDS).escalate


# --- Verification of Russian drafts (real embedding model, no database) -------------------------------------

TARIFFS = ContextChunk(
    ref=1,
    title="Тарифы",
    text=(
        "При оплате сразу за год «Максимум» обойдётся в 7 200 рублей вместо 9 480. "
        "Минута исходящего звонка в Зоне 1 стоит 4,90 ₽. "
        "Международный роуминг не подключается автоматически: включите его в приложении."
    ),
)


def check_ru(draft, question):
    return verify(draft, build(question=question, context=[TARIFFS], language="ru"))


def test_a_russian_sentence_with_the_same_facts_in_another_spelling_passes():
    checked = check_ru("За год «Максимум» обойдётся в 7200 ₽ вместо 9 480 [1].", "Сколько стоит «Максимум» за год?")
    assert [(c.verified, c.origin) for c in checked] == [(True, "model")], checked
    checked = check_ru("Минута исходящего звонка в Зоне 1 стоит 4.90 ₽ [1].", "Сколько стоит минута в Зоне 1?")
    assert [(c.verified, c.origin) for c in checked] == [(True, "model")], checked


def test_an_invented_russian_number_never_passes():
    checked = check_ru("При оплате сразу за год «Максимум» обойдётся в 6 900 рублей [1].", "Сколько стоит «Максимум»?")
    assert not any(c.verified and "6 900" in c.text for c in checked)
    assert "6 900 not in the source" in checked[0].reason


def test_a_dropped_russian_negation_never_passes():
    checked = check_ru("Международный роуминг подключается автоматически [1].", "Роуминг включается сам?")
    assert not any(c.verified and c.origin == "model" for c in checked)
    assert "negation" in checked[0].reason


# --- Replies in the assistant's language ----------------------------------------------------------------------


def test_drafts_greet_and_close_in_the_assistants_language_and_english_stays_as_it_was():
    sentences = [ReplySentence("Тариф стоит 390 ₽ в месяц.", 1)]
    ru = draft(
        sentences=sentences, sources=[(1, "Тарифы")], language="ru", tone="friendly", customer_name="Анна Петрова"
    )
    assert ru == (
        "Здравствуйте, Анна!\n\nТариф стоит 390 ₽ в месяц.\n\n"
        "Если что-то осталось непонятным, просто ответьте на это сообщение."
    )
    cited = draft(sentences=sentences, sources=[(1, "Тарифы")], language="ru", tone="concise", style="sources")
    assert cited == "Тариф стоит 390 ₽ в месяц.\n\nИсточники: [1] Тарифы"
    english = draft(
        sentences=[ReplySentence("It costs 5 EUR.", 1)], sources=[(1, "Prices")], language="en", tone="friendly"
    )
    assert english == "Hello,\n\nIt costs 5 EUR.\n\nIf anything is unclear, just reply to this message."
    assert decline_text("ru").startswith("К сожалению") and decline_text("en").startswith("I'm sorry")


def test_the_widget_greets_and_the_fallback_says_not_found_in_the_language():
    assert widget_greeting("ru", "Ася").startswith("Здравствуйте! Я Ася.")
    assert widget_greeting("en", "Ava") == (
        "Hi! I'm Ava. Ask me anything: I answer from our help articles, "
        "and a person from our team takes over when I can't help."
    )
    provider = ExtractiveProvider()
    assert provider.answer(GenerationRequest(messages=[], question="Где ваш офис?")) == (
        "Я не нашёл ответа на этот вопрос в базе знаний."
    )
    assert provider.answer(GenerationRequest(messages=[], question="Where is your office?")) == (
        "I could not find this in the knowledge base."
    )


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Курьер опоздал на три часа и нахамил, я в бешенстве", "complaint"),
        ("Это просто издевательство, деньги списали дважды, а поддержка молчит!", "complaint"),
        ("Сколько стоит тариф для команды из 40 человек?", "sales"),
        ("Как включить роуминг?", "support"),
        ("Не могу зайти в приложение, пишет неверный пароль", "support"),
        ("This is the third time my parcel came broken, I am furious", "complaint"),
        ("How do I reset my password?", "support"),
    ],
)
def test_the_default_request_types_classify_russian_and_english_requests(text, label):
    examples = {name: lines for name, (_, lines) in DEFAULT_REQUEST_TYPES.items()}
    assert classify(text, examples).label == label


def test_a_sentence_that_only_repeats_the_question_is_dropped_in_both_languages():
    ru = check_ru("Роуминг включится сам, когда я прилечу.", "Роуминг включится сам, когда я прилечу?")
    assert [(c.verified, c.reason) for c in ru] == [(False, "repeats the question")]
    warranty = ContextChunk(ref=1, title="Warranty", text="Crash damage is not covered by the warranty.")
    question = "Is the warranty good for crash damage?"
    en = verify("The warranty is good for crash damage.", build(question=question, context=[warranty]))
    assert [(c.verified, c.reason) for c in en] == [(False, "repeats the question")]
