"""What an answer promises is true: a handover is announced only once it happened, and a draft for a public reply
shows the agent which sentences come from staff-only articles. English and Russian, real embedding models."""

import json

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from assistants.replies import decline_text, handed_over_text
from conftest import ACME_HOST

SITE = "https://www.acme.example"
HANDOVER = {"en": "passed your question to a colleague", "ru": "передал ваш вопрос коллеге"}
UNANSWERABLE = {
    "en": "Do you have a car park for visitors at your office?",
    "ru": "Есть ли у вас парковка для посетителей возле офиса?",
}


def call(path, payload):
    return Client(HTTP_HOST=ACME_HOST).post(
        f"/assistants/widget/{path}", json.dumps(payload), content_type="application/json", headers={"Origin": SITE}
    )


def use_e5(acme):
    """Russian knowledge is read by the multilingual model, as in a Russian tenant (rolled back after the test)."""
    acme.embedding_model = "e5"
    acme.save(update_fields=["embedding_model"])


@pytest.fixture
def bot(acme, request):
    from assistants.services import assistant_create, widget_key_create

    language = request.param
    if language == "ru":
        use_e5(acme)
    with tenant_context(acme):
        assistant = assistant_create(name="Helper", company="Acme", provider="extractive", language=language)
        key = widget_key_create(assistant=assistant, allowed_origins=[SITE + "/"])
    return assistant, key, language


@pytest.mark.parametrize("bot", ["en", "ru"], indirect=True)
def test_the_widget_says_the_question_was_passed_on_only_after_the_visitor_handed_it_over(acme, help_center, bot):
    _assistant, key, language = bot
    chat = call("chat", {"key": key.key, "message": UNANSWERABLE[language]}).json()
    assert chat["declined"] is True, chat
    # Nobody has the question yet: the visitor has left no address and no ticket exists.
    assert chat["reply"] == decline_text(language)
    assert HANDOVER[language] not in chat["reply"]
    handed = call("escalate", {"key": key.key, "session_id": chat["session_id"], "email": "kim@example.com"}).json()
    assert handed["ticket"].startswith("#"), handed
    assert handed["message"] == handed_over_text(language) and HANDOVER[language] in handed["message"]


INTERNAL = {
    "en": (
        "Refund exceptions for key accounts",
        "Key accounts may get a refund up to 60 days after delivery if the account manager approves it.",
        "Can I still get a refund 45 days after delivery?",
        "60 days",
    ),
    "ru": (
        "Исключения по возвратам для ключевых клиентов",
        "Ключевым клиентам можно вернуть деньги в течение 60 дней после доставки, если это одобрит менеджер.",
        "Можно ли ещё вернуть деньги через 45 дней после доставки?",
        "60 дней",
    ),
}
PUBLIC = {
    "en": ("Returns", "You can return an unused item within 30 days of delivery for a full refund."),
    "ru": ("Возврат товара", "Неиспользованный товар можно вернуть в течение 30 дней после доставки."),
}
MARK = "[INTERNAL, staff-only article"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_draft_for_a_public_reply_marks_what_it_quotes_from_an_internal_article(acme, agent, language):
    from assistants.services import assistant_create
    from assistants.services.drafting import answer_for_ticket
    from knowledge import services
    from tickets.services import contact_ensure, ticket_create

    if language == "ru":
        use_e5(acme)
    title, text, question, fact = INTERNAL[language]
    with tenant_context(acme):
        for doc_title, doc_text, visibility in ((title, text, "internal"), (*PUBLIC[language], "public")):
            document = services.document_create_from_text(
                title=doc_title, text=doc_text, language=language, visibility=visibility, enqueue=False
            )
            services.document_index(document_id=document.pk)
        bot = assistant_create(name="Helper", company="Acme", provider="extractive", language=language)
        contact = contact_ensure(email="pat@customer.test", name="Pat")
        ticket = ticket_create(subject=question, requester=contact, by=contact, description=question)
        stored = answer_for_ticket(ticket=ticket, assistant=bot)
    reply = stored.result["reply"]
    assert fact in reply, reply
    quoted = next(line for line in reply.split("\n\n") if fact in line)
    # The staff-only sentence carries a mark the agent sees (and removes before sending), naming its article.
    assert f"{MARK} “{title}”" in quoted, reply
    assert stored.result["internal_sources"] == [title]
    assert reply.count(MARK) == 1  # the internal article has one sentence; the public one is not marked
