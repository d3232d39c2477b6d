"""Template helpers of the screenshot reader: its results under the image attachments of a reply or request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.conf import settings

from assistants.vision import selectors
from tickets.models import Attachment

register = template.Library()


def thread_context(context: template.Context, attachments: Sequence[Attachment]) -> dict[str, Any]:
    """What ``vision/thread.html`` shows under a reply's (or the request's) attachments: thumbnail,
    category chip and text of each image attachment. Registered with the ticket page's attachment
    processors (``VisionConfig.ready``), which draw it through ``{% attachment_details files %}``."""
    images = [a for a in attachments if selectors.is_image(a)]
    if not images:
        return {"items": []}
    analyses = selectors.analyses_for_attachments(attachments=images)
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "items": [{"attachment": a, "analysis": analyses.get(a.pk)} for a in images],
        "ticket": context.get("ticket") or images[0].ticket,
        "titles": selectors.label_titles(),
        "low_confidence": settings.VISION_LOW_CONFIDENCE,
        "can_apply": bool(user and user.has_perm("tickets.change_ticket")),
        "can_teach": bool(user and user.has_perm("vision.change_screenshotlabel")),
        "teach_labels": selectors.label_specs(),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if mapping else None
