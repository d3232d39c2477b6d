"""The Russian demo tenant «Ромашка»: Russian users, help center, tickets and assistant, searched and answered
with the models a Russian tenant gets (multilingual e5, Qwen)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from assistants.engine import answer
from assistants.models import Assistant
from conftest import rolled_back_at_the_end
from helpdesk.accounts.management.commands.demo import DEMO_TENANTS, seed_tenant
from helpdesk.accounts.models import User
from helpdesk.tenants.models import Tenant
from knowledge import services as kb
from knowledge.models import Chunk, Document
from tickets.models import Ticket

ROMASHKA = next(row for row in DEMO_TENANTS if row[0] == "romashka")


@pytest.fixture(scope="module")
def romashka_seeded(romashka_tenant: Tenant, django_db_blocker: Any) -> Iterator[Tenant]:
    """The demo's Russian data, seeded once for this file's tests, which only read it (seeding takes seconds); rolled
    back after the file, so that the rest of the session finds the bare schema of `romashka_tenant` again."""
    schema, name, language, full_names = ROMASHKA
    with rolled_back_at_the_end(django_db_blocker):
        with django_db_blocker.unblock():
            tenant = seed_tenant(schema, name, language, full_names, password=settings.DEMO_PASSWORD)
        yield tenant


@pytest.fixture
def romashka(romashka_seeded: Tenant, db: None) -> Iterator[Tenant]:
    with tenant_context(romashka_seeded):
        yield romashka_seeded


def test_the_russian_demo_tenant_speaks_russian(romashka):
    assert (romashka.name, romashka.language, romashka.embedding_model) == ("Ромашка", "ru", "e5")
    assert User.objects.get(email="agent@romashka.test").full_name == "Алина Орлова"
    assert set(User.objects.values_list("language", flat=True)) == {"ru"}  # the team reads the pages in Russian
    assistant = Assistant.objects.get(is_default=True)
    assert (assistant.name, assistant.language) == ("Помощник «Ромашки»", "ru")
    assert assistant.chat_model.startswith("qwen")
    documents = Document.objects.all()
    assert documents.count() == 14 and {d.language for d in documents} == {"ru"}
    assert set(Chunk.objects.values_list("embedding_model", flat=True)) == {"e5"}
    subjects = list(Ticket.objects.values_list("subject", flat=True))
    assert len(subjects) == 31 and "Списали деньги дважды" in subjects
    assert Ticket.objects.filter(subject="Не получается оплатить", attachments__isnull=False).exists()


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("По какому номеру звонить в поддержку?", "Как связаться со службой поддержки"),
        ("Сколько стоит гигабитный интернет?", "Тарифы домашнего интернета"),
        ("Я в отпуске в Турции, во сколько обойдётся мобильный интернет?", "Мобильная связь за границей"),
        ("У меня украли телефон, что делать с симкой?", "Потеря или замена SIM-карты"),
        ("Какого числа снимают абонентскую плату?", "Оплата услуг и счета"),
        ("How much does the router rent cost?", "Роутер: аренда, покупка и возврат"),
    ],
)
def test_a_paraphrased_question_finds_its_russian_article(romashka, question, title):
    assert kb.search(question, top_k=1)[0].document_title == title


def test_the_russian_assistant_answers_the_phone_question_with_the_number_and_its_article(romashka):
    reply = answer(assistant=Assistant.objects.get(is_default=True), question="По какому номеру звонить в поддержку?")
    assert "8-800-472-33-10" in reply.text
    assert "Как связаться со службой поддержки" in {c.document for c in reply.citations}
