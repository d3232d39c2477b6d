"""Durations, counts and the texts workers store, in the reader's language.

A worker writes why a job stopped long before anyone reads it: it stores the English msgid and its parameters
(``helpdesk.stored_text``), and each page, admin column or API answer translates them for its reader. Rows
stored before, plain English, still read.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, make_user
from helpdesk.accounts.services import user_create_or_update
from helpdesk.celery import stopped_reason, time_limit_for
from helpdesk.stored_text import Duration, duration_text, shown_text, stored_text
from tests import urlmatrix


@pytest.mark.parametrize(
    ("seconds", "english", "russian"),
    [
        (1, "1 s", "1 секунда"),
        (2, "2 s", "2 секунды"),
        (5, "5 s", "5 секунд"),
        (21, "21 s", "21 секунда"),
        (60, "1 min", "1 минута"),
        (2 * 60, "2 min", "2 минуты"),
        (5 * 60, "5 min", "5 минут"),
        (21 * 60, "21 min", "21 минута"),
        (3600, "1 h", "1 час"),
        (2 * 3600, "2 h", "2 часа"),
        (5 * 3600, "5 h", "5 часов"),
        (21 * 3600, "21 h", "21 час"),
        (3 * 3600 + 21 * 60, "3 h 21 min", "3 часа 21 минута"),
        (11 * 60, "11 min", "11 минут"),
    ],
)
def test_a_duration_reads_in_the_readers_language_with_russian_plural_forms(seconds, english, russian):
    with translation.override("en"):
        assert duration_text(seconds) == english
    with translation.override("ru"):
        assert duration_text(seconds) == russian


def test_a_stored_text_keeps_its_english_and_is_translated_when_shown():
    value = stored_text("Stopped: took longer than %(limit)s.", limit=Duration(2 * 3600))
    assert value.startswith("Stopped: took longer than 2 h.")  # what the admin and a log line show
    with translation.override("ru"):
        assert shown_text(value) == "Остановлено: работа шла дольше, чем 2 часа."
    with translation.override("en"):
        assert shown_text(value) == "Stopped: took longer than 2 h."


def test_a_row_stored_before_and_a_remote_systems_error_read_as_they_are():
    with translation.override("ru"):
        assert shown_text("Stopped: took longer than 1 h.") == "Stopped: took longer than 1 h."
        assert shown_text("HTTP 502 from jira.example") == "HTTP 502 from jira.example"
        assert shown_text("") == "" and shown_text(None) == ""
        # A value cut short by a column's length still shows its English part.
        assert shown_text(stored_text("Stopped: took too long.")[:-5]) == "Stopped: took too long."


def test_a_stored_texts_parameter_is_checked():
    with pytest.raises(TypeError, match="Duration"):
        stored_text("Stopped: took longer than %(limit)s.", limit=[3600])  # type: ignore[arg-type]


def _reader(acme, email: str, language: str) -> Client:
    make_user(acme, email, "admin")
    with tenant_context(acme):
        user = user_create_or_update(email=email, role="admin", language=language).user
    client = Client(HTTP_HOST=ACME_HOST)
    with tenant_context(acme):
        client.force_login(user)
    return client


def test_a_dataset_run_stopped_by_its_time_limit_reads_in_each_readers_language(acme):
    from datasets.api import RunSerializer
    from datasets.jobs import PROCESS_TASK
    from datasets.models import Run

    limit = time_limit_for(PROCESS_TASK)
    assert limit
    run = urlmatrix.Seeds(acme).dataset_run
    with tenant_context(acme):
        Run.objects.filter(pk=run.pk).update(status=Run.Status.FAILED, error=stopped_reason(PROCESS_TASK))
        run.refresh_from_db()
    with translation.override("ru"):
        russian_limit = duration_text(limit)
    with translation.override("en"):
        english_limit = duration_text(limit)
    russian = f"Остановлено: работа шла дольше, чем {russian_limit}."
    english = f"Stopped: took longer than {english_limit}."

    page = _reader(acme, "irina@acme.test", "ru").get(f"/datasets/runs/{run.pk}/").content.decode()
    assert russian in page and "Stopped:" not in page
    page = _reader(acme, "anna@acme.test", "en").get(f"/datasets/runs/{run.pk}/").content.decode()
    assert english in page and "Остановлено" not in page
    with translation.override("ru"):
        assert RunSerializer(run).data["error"] == russian


def test_a_training_cancelled_before_it_started_reads_in_russian(acme):
    from assistants.lora.models import Adapter, Status
    from assistants.lora.services import adapter_cancel

    adapter = urlmatrix.Seeds(acme).adapter
    with tenant_context(acme):
        Adapter.objects.filter(pk=adapter.pk).update(status=Status.QUEUED, in_flight=True)
        adapter_cancel(adapter=adapter)
        adapter.refresh_from_db()
    assert adapter.status == Status.CANCELLED
    page = (
        _reader(acme, "irina@acme.test", "ru")
        .get(f"/assistants/{adapter.assistant_id}/adapters/{adapter.pk}/")
        .content.decode()
    )
    assert "Отменено до начала обучения." in page and "Cancelled before" not in page


def test_an_old_plain_english_error_still_shows_on_the_page(acme):
    from datasets.models import Run

    run = urlmatrix.Seeds(acme).dataset_run
    with tenant_context(acme):
        Run.objects.filter(pk=run.pk).update(status=Run.Status.FAILED, error="Stopped: took longer than 1 h.")
    page = _reader(acme, "irina@acme.test", "ru").get(f"/datasets/runs/{run.pk}/").content.decode()
    assert "Stopped: took longer than 1 h." in page


@pytest.mark.parametrize(
    ("count", "minutes", "hours"),
    [(1, "1 минута", "1 час"), (2, "2 минуты", "2 часа"), (5, "5 минут", "5 часов"), (21, "21 минута", "21 час")],
)
def test_a_tickets_relative_times_and_sla_countdown_read_in_russian(acme, count, minutes, hours):
    from datetime import timedelta

    from django.utils import timezone

    from tickets.models import Ticket, TicketEvent

    ticket = urlmatrix.Seeds(acme).ticket
    now = timezone.now()
    with tenant_context(acme):
        TicketEvent.objects.filter(ticket=ticket).update(created_at=now - timedelta(minutes=count, seconds=5))
        Ticket.objects.filter(pk=ticket.pk).update(resolution_due_at=now + timedelta(hours=count, seconds=50))
    reader = _reader(acme, "irina@acme.test", "ru")
    page = reader.get(f"/tickets/{ticket.number}/").content.decode().replace("\xa0", " ")
    assert re.search(rf"(?<!\d){minutes} назад", page), f"the audit trail shows no “{minutes} назад”"
    listing = reader.get("/tickets/").content.decode().replace("\xa0", " ")
    assert re.search(rf"через (?<!\d){hours}\b", listing), f"the SLA countdown shows no “через {hours}”"
