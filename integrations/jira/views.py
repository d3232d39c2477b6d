"""Jira: the settings page, Test connection, and the webhook receiver."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.http import AuthenticatedHttpRequest
from integrations import connection_views
from integrations.jira import services


@login_required
@permission_required("integrations.view_connection", raise_exception=True)
@require_http_methods(["GET", "POST"])
def settings_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return connection_views.connection_page(request, system="jira")


@login_required
@require_POST
def test(request: AuthenticatedHttpRequest) -> HttpResponse:
    return connection_views.connection_test(request, system="jira")


def _verify(secret: str, body: bytes, request: AuthenticatedHttpRequest) -> str | None:
    if not services.signature_valid(secret=secret, body=body, header=request.headers.get("X-Hub-Signature", "")):
        return None
    if not services.timestamp_fresh(body=body, max_age_seconds=connection_views.max_age()):
        return None
    return services.replay_key(body)


@csrf_exempt
@require_POST
def webhook(request: AuthenticatedHttpRequest) -> HttpResponse:
    return connection_views.webhook_receive(
        request,
        system="jira",
        verify=_verify,
        delivery_header="X-Atlassian-Webhook-Identifier",
    )
