"""Turn away a portal flood before its body is read.

A portal post carries up to ten files. Its view counts every attempt and answers one over the rate
with the form again (the visitor's text kept), which means parsing the whole multipart body first.
An address that goes on posting long after that answer gets a bare 429 here, before the CSRF
middleware parses the body: the server then only drains the bytes instead of splitting them into
files, so a flood from one address costs the other visitors little.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)

# Portal views that take uploads, by URL name: the view's own counter (group) and its rate setting.
GUARDED = {
    "portal:new": ("tickets.portal.submit", "TICKETS_PORTAL_SUBMIT_RATE"),
    "portal:reply": ("tickets.portal.reply", "TICKETS_PORTAL_REPLY_RATE"),
    "portal:rate": ("tickets.portal.rate", "TICKETS_PORTAL_REPLY_RATE"),
}
# How far past its rate an address may go on getting the form back before it is turned away unread.
FLOOD_FACTOR = 2


class PortalFloodMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path_info.startswith("/portal/") and self._flooding(request):
            response = HttpResponse(
                "Too many requests from your address. Please wait a few minutes and try again.\n",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = "600"
            return response
        return self.get_response(request)

    @staticmethod
    def _flooding(request: HttpRequest) -> bool:
        try:
            name = resolve(request.path_info, getattr(request, "urlconf", None)).view_name
        except Resolver404:
            return False
        if name not in GUARDED:
            return False
        group, rate_setting = GUARDED[name]
        try:
            usage = get_usage(
                request, group=group, key="ip", rate=getattr(settings, rate_setting), method="POST", increment=False
            )
        except Exception:  # the counters live in Redis: while it is down, the view decides (and fails open)
            logger.warning("portal flood check skipped", exc_info=True)
            return False
        return bool(usage and usage["count"] >= FLOOD_FACTOR * usage["limit"])
