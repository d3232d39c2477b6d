"""Zendesk: the settings page, Test connection, and the webhook receiver."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.http import AuthenticatedHttpRequest
from integrations import connection_views
from integrations.zendesk import services


@login_required
@permission_required("integrations.view_connection", raise_exception=True)
@require_http_methods(["GET", "POST"])
def settings_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return connection_views.connection_page(request, system="zendesk")


@login_required
@require_POST
def test(request: AuthenticatedHttpRequest) -> HttpResponse:
    return connection_views.connection_test(request, system="zendesk")


def _verify(secret: str, body: bytes, request: AuthenticatedHttpRequest) -> str | None:
    timestamp = request.headers.get("X-Zendesk-Webhook-Signature-Timestamp", "")
    valid = services.signature_valid(
        secret=secret,
        body=body,
        signature=request.headers.get("X-Zendesk-Webhook-Signature", ""),
        timestamp=timestamp,
        max_age_seconds=connection_views.max_age(),
    )
    return services.replay_key(timestamp=timestamp, body=body) if valid else None


@csrf_exempt
@require_POST
def webhook(request: AuthenticatedHttpRequest) -> HttpResponse:
    return connection_views.webhook_receive(
        request,
        system="zendesk",
        verify=_verify,
        delivery_header="X-Zendesk-Webhook-Invocation-Id",
    )
