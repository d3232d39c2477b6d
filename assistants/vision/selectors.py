"""Reads of the screenshot reader's results and the tenant's labels (current schema only)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.http import Http404

from assistants.engine.registry import Enrichment
from assistants.selectors import assistant_default
from assistants.vision import roles
from assistants.vision.defaults import DEFAULT_LABELS
from assistants.vision.models import AnalysisStatus, AttachmentAnalysis, ScreenshotLabel
from assistants.vision.pipeline import LabelSpec
from helpdesk.tenants.selectors import current_tenant_language
from tickets.models import Attachment, ReplyKind, Ticket

IMAGE_TYPES = ("image/",)


def is_image(attachment: Attachment) -> bool:
    return attachment.content_type.startswith(IMAGE_TYPES)


def label_list() -> QuerySet[ScreenshotLabel]:
    return ScreenshotLabel.objects.order_by("position", "name")


def label_get(*, pk: int | str) -> ScreenshotLabel:
    try:
        return label_list().get(pk=int(pk))
    except (ScreenshotLabel.DoesNotExist, ValueError, OverflowError):
        raise Http404("No such label") from None


def label_specs() -> list[LabelSpec]:
    """The tenant's labels for the classifiers; the defaults while a tenant has none."""
    labels = [
        LabelSpec(l.name, l.title, l.description, l.example_lines, l.is_fallback)
        for l in label_list()  # noqa: E741
    ]
    if labels:
        return labels
    return [LabelSpec(d["name"], d["title"], d["description"], d["examples"], d["is_fallback"]) for d in DEFAULT_LABELS]


def screenshot_languages() -> list[str]:
    """The languages this tenant's screenshots are expected in: its default assistant's, then the tenant's own."""
    assistant = assistant_default()
    candidates = [assistant.language if assistant else None, current_tenant_language()]
    return list(dict.fromkeys(language for language in candidates if language))


def label_titles() -> dict[str, str]:
    return {spec.name: spec.title for spec in label_specs()}


def _analyses() -> QuerySet[AttachmentAnalysis]:
    return AttachmentAnalysis.objects.defer("thumbnail")


def analyses_for_attachments(*, attachments: Iterable[Attachment]) -> dict[int, AttachmentAnalysis]:
    """Analyses of these attachments by attachment id, in one query, thumbnails left out."""
    return {a.attachment_id: a for a in _analyses().filter(attachment__in=[a.pk for a in attachments])}


def analysis_for_attachment(*, attachment: Attachment) -> AttachmentAnalysis | None:
    return _analyses().filter(attachment=attachment).first()


def thumbnail_for_attachment(*, attachment: Attachment) -> bytes | None:
    row = AttachmentAnalysis.objects.filter(attachment=attachment).values_list("thumbnail", flat=True).first()
    return bytes(row) if row else None


def ticket_search_text(*, ticket_id: int) -> str:
    """All text read from a ticket's attachments, oldest first, bounded (for full-text search)."""
    texts = (
        AttachmentAnalysis.objects.filter(attachment__ticket_id=ticket_id, status=AnalysisStatus.DONE)
        .exclude(text="")
        .order_by("attachment_id")
        .values_list("text", flat=True)
    )
    return "\n\n".join(texts)[: settings.VISION_SEARCH_CHARS]


def _customer_analyses(ticket: Ticket) -> QuerySet[AttachmentAnalysis]:
    """The read screenshots of the customer, newest first: the request's own files and public replies by the
    customer (an agent's screenshot or an internal note is not the question)."""
    return (
        _analyses()
        .filter(
            Q(attachment__reply__isnull=True)
            | Q(attachment__reply__kind=ReplyKind.PUBLIC, attachment__reply__author_contact__isnull=False),
            attachment__ticket=ticket,
            status=AnalysisStatus.DONE,
        )
        .exclude(text="")
        .order_by(F("attachment__reply__created_at").desc(nulls_last=True), "-attachment_id")
    )


def screenshot_text_for_ticket(*, ticket: Ticket, limit: int | None = None) -> str:
    """What the customer's screenshots say, newest first, error messages before the rest, bounded."""
    limit = settings.VISION_QUERY_CHARS if limit is None else limit
    if limit <= 0:
        return ""
    parts: list[str] = []
    for analysis in _customer_analyses(ticket)[:5]:
        lines = [*analysis.error_messages, *(t for t in analysis.text.splitlines() if t not in analysis.error_messages)]
        parts.append(" ".join(lines))
    return "\n".join(parts)[:limit].strip()


def screenshot_focus_for_ticket(*, ticket: Ticket, limit: int | None = None) -> str:
    """What the customer's screenshots are about, newest screenshot first, bounded, one sentence a line.

    The title of the panel the error sits in (``roles.panel_heading``: the device or service it is about),
    the error and status lines, then the panel's other lines of content; the site's chrome (menus, account
    corner, breadcrumbs, footers), lines above the panel's title and other one- or two-word labels are left
    out (all but the chrome when nothing else is left). Each line ends as a sentence: a screen's lines are
    separate statements, and run together the capital of the next line reads as a name in the middle of one.
    """
    limit = settings.VISION_QUERY_CHARS if limit is None else limit
    if limit <= 0:
        return ""
    lines: list[str] = []
    for analysis in _customer_analyses(ticket)[:5]:
        roled = analysis_roles(analysis)
        heading = roles.panel_heading(roled)
        below = roled[heading + 1 :] if heading is not None else roled
        chosen = [
            *([roled[heading].text] if heading is not None else []),
            *roles.focus_lines(roled),
            *(line.text for line in below if line.role == roles.CONTENT),
        ]
        chosen = chosen or [line.text for line in roled if line.role != roles.CHROME]
        lines += [sentence for line in chosen if (sentence := as_sentence(line)) not in lines]
    return "\n".join(lines)[:limit].strip()


_SENTENCE_END = frozenset(".!?…:;")


def as_sentence(line: str) -> str:
    """A line of a screen as a sentence of its own: a full stop added unless it already ends one."""
    line = line.strip()
    return line if not line or line[-1] in _SENTENCE_END else f"{line}."


def screenshot_question_text(ticket: Ticket) -> Enrichment | str:
    """What a ticket's question gets from its screenshots ("" without any text): the engine's enricher.

    The paragraph is everything read (for the agent and for tickets with words of their own); the focus is
    the error and status lines, which the question becomes when the customer wrote little.
    """
    screenshots = screenshot_text_for_ticket(ticket=ticket)
    if not screenshots:
        return ""
    return Enrichment(
        text=f"Text in the customer's screenshot: {screenshots}", focus=screenshot_focus_for_ticket(ticket=ticket)
    )


EXAMPLE_CHARS = 500  # the labels form's limit per example


def analysis_roles(analysis: AttachmentAnalysis) -> list[roles.RoledLine]:
    """The stored lines of a screenshot with their roles (error, status, content, chrome)."""
    lines = [line for line in analysis.lines or [] if isinstance(line, dict) and str(line.get("text", "")).strip()]
    return roles.assign([str(line["text"]) for line in lines], [line.get("box") for line in lines])


def example_text(analysis: AttachmentAnalysis) -> str:
    """What a screenshot says, as one example line of a label: its error and status lines, else its
    lines without the site's chrome, else all of it ("" without text)."""
    roled = analysis_roles(analysis)
    chosen = roles.focus_lines(roled) or [line.text for line in roled if line.role != roles.CHROME]
    chosen = chosen or [line.text for line in roled]
    return " · ".join(" ".join(text.split()) for text in chosen)[:EXAMPLE_CHARS].strip()


def best_category(*, ticket: Ticket) -> AttachmentAnalysis | None:
    """The most confident classified screenshot of a ticket."""
    return (
        _analyses()
        .filter(attachment__ticket=ticket, status=AnalysisStatus.DONE)
        .exclude(category="")
        .order_by("-confidence", "-attachment_id")
        .first()
    )


def attachment_details(attachment: Attachment) -> dict[str, object] | None:
    """What the ticket API shows under an image attachment (the vision attachment processor's details)."""
    if not is_image(attachment):
        return None
    analysis = analysis_for_attachment(attachment=attachment)
    if analysis is None:
        return {"vision": {"status": "pending"}}
    return {"vision": analysis_as_dict(analysis)}


def analysis_as_dict(analysis: AttachmentAnalysis) -> dict[str, object]:
    return {
        "status": analysis.status,
        "error": analysis.error or None,
        "width": analysis.width,
        "height": analysis.height,
        "format": analysis.image_format or None,
        "frames": analysis.frames,
        "category": analysis.category or None,
        "confidence": analysis.confidence,
        "low_confidence": analysis.confidence is not None and analysis.confidence < settings.VISION_LOW_CONFIDENCE,
        "source": analysis.source or None,
        "scores": analysis.scores,
        "text": analysis.text,
        "lines": analysis.lines,
        "error_codes": analysis.error_codes,
        "error_messages": analysis.error_messages,
    }
