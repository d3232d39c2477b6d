"""Template helpers of the screenshot reader: its results under a reply's image attachments."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from assistants.vision import selectors

register = template.Library()


@register.inclusion_tag("vision/thread.html", takes_context=True)
def vision_attachments(context: template.Context, reply: Any) -> dict[str, Any]:
    """``{% vision_attachments reply %}``: thumbnail, category chip and text of each image attachment."""
    images = [a for a in reply.attachments.all() if selectors.is_image(a)]
    if not images:
        return {"items": []}
    analyses = selectors.analyses_for_reply(reply=reply)
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "items": [{"attachment": a, "analysis": analyses.get(a.pk)} for a in images],
        "ticket": context.get("ticket") or reply.ticket,
        "titles": selectors.label_titles(),
        "low_confidence": settings.VISION_LOW_CONFIDENCE,
        "can_apply": bool(user and user.has_perm("tickets.change_ticket")),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if mapping else None
