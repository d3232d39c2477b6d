"""Writes of the screenshot reader: analyse an attachment, apply its category, edit the tenant's labels."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from assistants.selectors import informative_words
from assistants.vision import pipeline, selectors
from assistants.vision.defaults import DEFAULT_LABELS
from assistants.vision.imaging import ImageRejected
from assistants.vision.models import AnalysisStatus, AttachmentAnalysis, ScreenshotLabel
from helpdesk.celery import send_on_commit
from helpdesk.stored_text import stored_text
from tickets.models import Attachment, Ticket
from tickets.services import ticket_attachment_text_set, ticket_update

logger = logging.getLogger(__name__)


def attachment_analyse(*, attachment_id: int) -> AttachmentAnalysis | None:
    """Read and classify one image attachment and store the result on it (re-running replaces it).

    Not an image (by its type) or gone: None. A file that is not a readable image is stored as
    ``invalid`` with the reason; an unexpected failure is stored as ``failed`` and raised again
    so that the task's retry policy sees it.
    """
    attachment = Attachment.objects.select_related("ticket", "reply").filter(pk=attachment_id).first()
    if attachment is None or not selectors.is_image(attachment):
        return None
    try:
        return _analyse(attachment)
    except IntegrityError:  # the ticket or the attachment was deleted while it was being read
        if Attachment.objects.filter(pk=attachment_id).exists():
            raise
        return None


def _analyse(attachment: Attachment) -> AttachmentAnalysis:
    analysis, _ = AttachmentAnalysis.objects.update_or_create(
        attachment=attachment, defaults={"status": AnalysisStatus.PROCESSING, "error": ""}
    )
    try:
        with attachment.file.open("rb") as fh:
            data = fh.read()
        result = pipeline.analyse(
            data,
            selectors.label_specs(),
            languages=selectors.screenshot_languages(),
            context=_customer_words(attachment),
        )
    except ImageRejected as exc:
        analysis.status, analysis.error = AnalysisStatus.INVALID, str(exc)[:300]
        analysis.save(update_fields=["status", "error", "updated_at"])
        return analysis
    except FileNotFoundError:
        analysis.status, analysis.error = (
            AnalysisStatus.INVALID,
            stored_text(gettext_noop("The file of this attachment is missing.")),
        )
        analysis.save(update_fields=["status", "error", "updated_at"])
        return analysis
    except Exception as exc:
        logger.exception("reading attachment %s failed", attachment.pk)
        analysis.status, analysis.error = AnalysisStatus.FAILED, f"{type(exc).__name__}: {exc}"[:300]
        analysis.save(update_fields=["status", "error", "updated_at"])
        raise
    _store(analysis, result)
    _refresh_ticket_text(ticket_id=attachment.ticket_id)
    return analysis


def _customer_words(attachment: Attachment) -> str:
    """What the customer wrote around this screenshot (subject, request, the reply it came with), or "" when
    that is only "please see the attached screenshot"."""
    ticket, reply = attachment.ticket, attachment.reply
    parts = [ticket.subject, ticket.description]
    if reply is not None and reply.author_contact_id is not None:
        parts.append(reply.body)
    text = "\n".join(part for part in parts if part).strip()
    return text if len(informative_words(text)) >= 2 else ""


@transaction.atomic
def _refresh_ticket_text(*, ticket_id: int) -> None:
    # The ticket's row lock orders two workers reading screenshots of one ticket: the later one sees both texts.
    Ticket.objects.select_for_update().filter(pk=ticket_id).values_list("pk", flat=True).first()
    ticket_attachment_text_set(ticket_id=ticket_id, text=selectors.ticket_search_text(ticket_id=ticket_id))


def _store(analysis: AttachmentAnalysis, result: pipeline.ImageAnalysis) -> None:
    analysis.status = AnalysisStatus.DONE
    analysis.error = result.clip_error[:300]
    analysis.width, analysis.height = result.width, result.height
    analysis.image_format, analysis.frames = result.format, result.frames
    analysis.thumbnail = result.thumbnail
    analysis.text = result.text
    analysis.lines = [line.as_dict() for line in result.lines]
    analysis.error_codes = [code[:100] for code in result.error_codes]
    analysis.error_messages = result.error_messages
    analysis.category, analysis.confidence = result.category, round(result.confidence, 4)
    analysis.source, analysis.scores = result.source, result.scores
    analysis.timings_ms = result.timings_ms
    analysis.save()


def analysis_apply_category(*, analysis: AttachmentAnalysis, by: object) -> None:
    """Make a screenshot's category the ticket's category (audited like any edit)."""
    if analysis.status != AnalysisStatus.DONE or not analysis.category:
        raise ValidationError(_("This screenshot has no category to apply."))
    ticket = analysis.attachment.ticket
    ticket_update(ticket=ticket, by=by, category=analysis.category)


@transaction.atomic
def analysis_teach(*, analysis: AttachmentAnalysis, label_name: str) -> ScreenshotLabel:
    """ "This screenshot is a <label>": store what it says as an example of that label and give it the label.

    The next screenshot that says the same (its error and status lines) is classified by that example.
    """
    if analysis.status != AnalysisStatus.DONE:
        raise ValidationError(_("This screenshot has not been read yet."))
    example = selectors.example_text(analysis)
    if not example:
        raise ValidationError(_("No text was read from this screenshot: there is nothing to learn from."))
    labels_restore_defaults()  # the defaults become the tenant's own labels, to which the example is added
    label = ScreenshotLabel.objects.select_for_update().filter(name=label_name).first()
    if label is None:
        raise ValidationError(_("No such label."))
    lines = label.example_lines
    if example not in lines:
        if len(lines) >= MAX_EXAMPLES:
            raise ValidationError(_("This label has %(count)d examples already.") % {"count": MAX_EXAMPLES})
        label.examples = "\n".join([*lines, example])
        label.save(update_fields=["examples", "updated_at"])
    analysis.category, analysis.confidence = label.name, 1.0
    analysis.save(update_fields=["category", "confidence", "updated_at"])
    return label


# --- Labels ----------------------------------------------------------------------------------------

LABEL_FIELDS = ("name", "title", "description", "examples", "is_fallback")
MAX_EXAMPLES = 200  # as the labels form allows


@transaction.atomic
def label_save(*, label: ScreenshotLabel | None = None, **fields: Any) -> ScreenshotLabel:
    """Create or change a label; making one the fallback takes the role from the others."""
    unknown = set(fields) - set(LABEL_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    labels_restore_defaults()  # an empty set means "the defaults": the first edit keeps them
    if label is None:
        position = (ScreenshotLabel.objects.aggregate(m=Max("position"))["m"] or 0) + 1
        label = ScreenshotLabel(position=position)
    for name, value in fields.items():
        setattr(label, name, value.strip() if isinstance(value, str) else value)
    if label.is_fallback:  # before validation, which checks that there is only one (rolled back on failure)
        ScreenshotLabel.objects.filter(is_fallback=True).exclude(pk=label.pk).update(is_fallback=False)
    label.full_clean()
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError:
        raise ValidationError({"name": _("A label with this name exists already.")}) from None
    return label


@transaction.atomic
def labels_restore_defaults() -> int:
    """Store the default labels when the tenant has none (a new tenant has them from its migration)."""
    if ScreenshotLabel.objects.exists():
        return 0
    created = ScreenshotLabel.objects.bulk_create(
        ScreenshotLabel(
            name=d["name"],
            title=d["title"],
            description=d["description"],
            examples="\n".join(d["examples"]),
            is_fallback=d["is_fallback"],
            position=position,
        )
        for position, d in enumerate(DEFAULT_LABELS)
    )
    return len(created)


def label_delete(*, label: ScreenshotLabel) -> None:
    if ScreenshotLabel.objects.count() <= 2:
        raise ValidationError(_("Keep at least two labels: a classifier needs something to choose between."))
    label.delete()


RECENT_HOURS = 24  # attachments older than this are never swept (a stored image that kills its worker stops there)


def analyses_sweep() -> list[int]:
    """Send again the image attachments of this tenant whose reading never started or whose worker went silent.

    Never started: no analysis JOBS_REQUEUE_AFTER_SECONDS after the attachment was saved (the broker
    was down, or the message was lost). Silent: reading for JOBS_STALE_SECONDS. Only attachments of
    the last RECENT_HOURS are looked at. Returns the attachment ids sent.
    """
    now = timezone.now()
    recent, settled = now - timedelta(hours=RECENT_HOURS), now - timedelta(seconds=settings.JOBS_REQUEUE_AFTER_SECONDS)
    saved_at = Q(reply__isnull=False, reply__created_at__range=(recent, settled)) | Q(
        reply__isnull=True, ticket__created_at__range=(recent, settled)
    )
    stale = Q(
        analysis__status=AnalysisStatus.PROCESSING,
        analysis__updated_at__lt=now - timedelta(seconds=settings.JOBS_STALE_SECONDS),
    )
    candidates = Attachment.objects.filter(saved_at, content_type__startswith=selectors.IMAGE_TYPES[0])
    ids = list(candidates.filter(Q(analysis__isnull=True) | stale).values_list("pk", flat=True)[:200])
    for attachment_id in ids:
        send_on_commit("assistants.vision.tasks.analyse_attachment", attachment_id)
    if ids:
        logger.info("re-sending screenshot analyses of attachments %s", ids)
    return ids
