from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from django.db import transaction

from helpdesk import mail


def test_send_email_writes_the_message_with_the_file_backend(settings, tmp_path: Path) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    sent = mail.send_email.apply(
        kwargs={
            "to": ["pat@customer.test"],
            "subject": "Your request #1001",
            "body": "We replied.",
            "html": "<p>We replied.</p>",
        }
    ).get()
    assert sent == 1
    [written] = list(tmp_path.iterdir())
    text = written.read_text()
    assert "To: pat@customer.test" in text
    assert "Subject: Your request #1001" in text
    assert "text/html" in text


def test_queued_mail_is_delivered_by_the_worker_after_commit(settings, committed, celery_worker) -> None:
    subject = f"Your request {uuid.uuid4().hex}"
    with transaction.atomic():
        mail.email_queue(to=["pat@customer.test", ""], subject=subject, body="We replied.")
        mail.email_queue(to=[""], subject="to nobody", body="never sent")
    folder = Path(settings.EMAIL_FILE_PATH)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if folder.exists() and any(subject in f.read_text() for f in folder.iterdir()):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the worker did not write the queued message")
    assert not any("to nobody" in f.read_text() for f in folder.iterdir())
