"""``/dev/mail/``: the e-mail the file backend wrote under ``EMAIL_FILE_PATH``, for development (DEBUG only).

A tenant's host lists only the messages sent for that tenant (their ``X-Helpdesk-Tenant``
header) and only to its signed-in staff; the public host lists all of them to platform staff.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from helpdesk.tenants.db import connection

SEPARATOR = "-" * 79
PAGE = 100
NAME = re.compile(r"^[\w.-]+$")


@dataclass(frozen=True)
class Mail:
    key: str
    sent_at: datetime
    to: str
    subject: str
    tenant: str
    body: str


def _parse(path: Path) -> list[Mail]:
    text = path.read_text(errors="replace")
    found = []
    for index, raw in enumerate(part for part in text.split(f"\n{SEPARATOR}\n") if part.strip()):
        message = email.message_from_string(raw.strip("\n"), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        part = message.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""
        found.append(
            Mail(
                key=f"{path.name}.{index}",
                sent_at=datetime.fromtimestamp(path.stat().st_mtime, tz=UTC),
                to=str(message.get("To", "")),
                subject=str(message.get("Subject", "")),
                tenant=str(message.get("X-Helpdesk-Tenant", "")),
                body=str(body),
            )
        )
    return found


def _mailbox(request: HttpRequest) -> list[Mail]:
    if not settings.DEBUG or not getattr(request.user, "is_staff", False):
        raise Http404
    folder = Path(settings.EMAIL_FILE_PATH)
    files = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True) if folder.is_dir() else []
    schema = connection.schema_name
    mails = []
    for path in files[: PAGE * 2]:
        mails += [m for m in _parse(path) if schema == settings.PUBLIC_SCHEMA_NAME or m.tenant == schema]
    return mails[:PAGE]


@login_required
@require_GET
def mail_list(request: HttpRequest) -> HttpResponse:
    return render(request, "dev/mail_list.html", {"mails": _mailbox(request), "folder": settings.EMAIL_FILE_PATH})


@login_required
@require_GET
def mail_detail(request: HttpRequest, name: str) -> HttpResponse:
    if not NAME.match(name):
        raise Http404
    mail = next((m for m in _mailbox(request) if m.key == name), None)
    if mail is None:
        raise Http404
    return render(request, "dev/mail_detail.html", {"mail": mail})
