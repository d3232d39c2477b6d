"""Attachments of tickets and replies: check the uploads (type, size, content, limits), store them.

Ticket creation and replies both store their files here.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tickets import extensions
from tickets.models import Attachment, Reply, Ticket
from tickets.services.content import content_check

EXTRA_TYPES = {".log": "text/plain", ".md": "text/markdown", ".webp": "image/webp"}


def attachment_validate(upload: UploadedFile) -> str:
    """The content type of an allowed upload; ``ValidationError`` for a wrong type, size or content.

    The extension must be allowed and the bytes must be what it claims (``content_check``):
    an ``.exe`` renamed to ``.png`` is refused.
    """
    name = PurePath(upload.name or "").name
    suffix = PurePath(name).suffix.lower()
    allowed = settings.TICKETS_ATTACHMENT_TYPES
    if suffix not in allowed:
        raise ValidationError(f"{name}: files of type {suffix or '(none)'} are not allowed ({', '.join(allowed)}).")
    limit = settings.TICKETS_ATTACHMENT_MAX_MB * 1024 * 1024
    if not upload.size:
        raise ValidationError(f"{name} is empty.")
    if upload.size > limit:
        raise ValidationError(f"{name} is larger than {settings.TICKETS_ATTACHMENT_MAX_MB} MB.")
    content_check(upload, name=name, suffix=suffix)
    # The type comes from the (allowed, content-checked) extension, never from the browser's claim.
    return EXTRA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def attachments_budget_check(*, files: Sequence[UploadedFile], ticket: Ticket | None = None) -> None:
    """``ValidationError`` on ``attachments`` when ``files`` exceed a limit that bounds uploads from anyone.

    At most ``TICKETS_MAX_FILES_PER_MESSAGE`` files in one message, ``TICKETS_MAX_UPLOAD_MB_PER_TICKET``
    in all on ``ticket`` (or on a new ticket), and ``TICKETS_MAX_UPLOAD_MB_PER_TENANT_DAY`` stored by the
    tenant in the last 24 hours: one visitor cannot fill the disk or the screenshot queue.
    """
    if not files:
        return
    most = settings.TICKETS_MAX_FILES_PER_MESSAGE
    if len(files) > most:
        raise ValidationError(
            {
                "attachments": ngettext(
                    "Attach up to %(most)d files to one message (this one has %(count)d).",
                    "Attach up to %(most)d files to one message (this one has %(count)d).",
                    most,
                )
                % {"most": most, "count": len(files)}
            }
        )
    adding = sum(upload.size or 0 for upload in files)
    per_ticket = settings.TICKETS_MAX_UPLOAD_MB_PER_TICKET * 1024 * 1024
    stored = 0
    if ticket is not None:
        stored = Attachment.objects.filter(ticket=ticket).aggregate(total=Sum("size"))["total"] or 0
    if stored + adding > per_ticket:
        raise ValidationError(
            {
                "attachments": _(
                    "A ticket holds at most %(max)s MB of files; it has %(stored)s and these are %(adding)s. "
                    "Send fewer or smaller files."
                )
                % {"max": settings.TICKETS_MAX_UPLOAD_MB_PER_TICKET, "stored": _mb(stored), "adding": _mb(adding)}
            }
        )
    per_day = settings.TICKETS_MAX_UPLOAD_MB_PER_TENANT_DAY * 1024 * 1024
    since = timezone.now() - timedelta(days=1)
    today = Attachment.objects.filter(created_at__gte=since).aggregate(total=Sum("size"))["total"] or 0
    if today + adding > per_day:
        raise ValidationError(
            {
                "attachments": _(
                    "We cannot take more files today: the upload allowance of this helpdesk "
                    "(%(mb)s MB a day) is used up. Send your message without files, or try again tomorrow."
                )
                % {"mb": settings.TICKETS_MAX_UPLOAD_MB_PER_TENANT_DAY}
            }
        )


def attachments_check(files: Sequence[UploadedFile], *, ticket: Ticket | None = None) -> list[str]:
    """The content types of all ``files``; one ``ValidationError`` on ``attachments`` naming every bad one.

    The upload limits (``attachments_budget_check``) come first, so a flood of files is refused unread.
    """
    attachments_budget_check(files=files, ticket=ticket)
    content_types, problems = [], []
    for upload in files:
        try:
            content_types.append(attachment_validate(upload))
        except ValidationError as exc:
            problems += exc.messages
    if problems:
        raise ValidationError({"attachments": problems})
    return content_types


def attachments_save(
    *, ticket: Ticket, reply: Reply | None, files: Sequence[UploadedFile], content_types: Sequence[str]
) -> list[Attachment]:
    """Store checked files on the ticket (on ``reply``, or on the request itself when it is None).

    Each one is sent to the registered attachment processors' tasks once the transaction commits
    (``tickets.extensions``); every path that creates attachments goes through here.
    """
    saved = []
    for upload, content_type in zip(files, content_types, strict=True):
        attachment = Attachment.objects.create(
            ticket=ticket,
            reply=reply,
            file=upload,
            filename=PurePath(upload.name or "file").name[:200],
            content_type=content_type,
            size=upload.size or 0,
        )
        extensions.attachment_announce(attachment_id=attachment.pk)
        saved.append(attachment)
    return saved


def ticket_attachment_text_set(*, ticket_id: int, text: str) -> None:
    """Keep the text read from a ticket's attachments (joins its full-text search); no audit row, no ``updated_at``."""
    Ticket.objects.filter(pk=ticket_id).update(attachment_text=text)
