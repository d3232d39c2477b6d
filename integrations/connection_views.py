"""What the settings pages of the integration systems share: the form page, Test connection, the webhook receiver."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_ratelimit import ALL as RATELIMIT_ALL
from django_ratelimit.core import is_ratelimited

from helpdesk import crypto
from helpdesk.http import AuthenticatedHttpRequest
from integrations import selectors, services
from integrations.models import Connection
from integrations.registry import system as system_spec
from integrations.services.backsync import inbound_handle, inbound_refused

TEMPLATE = "integrations/connection_form.html"


def connection_page(request: AuthenticatedHttpRequest, *, system: str) -> HttpResponse:
    spec = system_spec(system)
    form_class = spec.form
    conn = selectors.connection_get(system=system)
    can_change = request.user.has_perm("integrations.change_connection") and request.user.has_perm(
        "integrations.add_connection"
    )
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        form = form_class(request.POST, system=system)
        if form.is_valid():
            try:
                conn = services.connection_save(**form.service_kwargs())
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("%(system)s connection saved. Test it to check the credentials.")
                    % {"system": conn.get_system_display()},
                )
                return redirect(request.path)
    else:
        form = form_class.for_connection(conn, system)
    webhook_path = f"/integrations/{system}/webhook"
    return render(
        request,
        TEMPLATE,
        {
            "form": form,
            "conn": conn,
            "system": system,
            "spec": spec,
            "can_change": can_change,
            "webhook_url": request.build_absolute_uri(webhook_path),
        },
    )


def connection_test(request: AuthenticatedHttpRequest, *, system: str) -> HttpResponse:
    conn = selectors.connection_get(system=system)
    if conn is None:
        messages.error(request, _("Save the connection first."))
        return redirect(request.path.rsplit("test/", 1)[0])
    if not request.user.has_perm("integrations.change_connection"):
        raise PermissionDenied
    result = services.connection_test(connection=conn)
    if request.htmx:
        return render(request, f"{TEMPLATE}#test-result", {"conn": conn, "result": result})
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect(request.path.rsplit("test/", 1)[0])


# Returns what identifies the delivery (a digest of what the signature covers), or None when the
# signature is missing, wrong or too old.
Verifier = Callable[[str, bytes, AuthenticatedHttpRequest], str | None]


def _rate_limited(request: AuthenticatedHttpRequest, conn: Connection) -> bool:
    """Per connection (the cache key carries the tenant); counted in Redis, open when it is down."""
    return is_ratelimited(
        request,
        group="integrations.webhook",
        key=lambda group, request: f"{conn.system}:{conn.pk}",
        rate=settings.INTEGRATIONS_WEBHOOK_RATE,
        method=RATELIMIT_ALL,
        increment=True,
    )


def webhook_receive(
    request: AuthenticatedHttpRequest, *, system: str, verify: Verifier, delivery_header: str
) -> HttpResponse:
    """Verify the signature, drop replays, apply the event (read by the system's inbound parser).

    No login: the signature is the credential.

    Calls over the connection's rate and calls that are unsigned or wrongly signed are answered
    without writing anything: anyone can post here, and the sync log is not theirs to fill.
    """
    started = time.perf_counter()
    conn: Connection | None = selectors.connection_get(system=system)
    if conn is None or not conn.enabled:
        return JsonResponse({"detail": _("%(system)s is not connected here.") % {"system": system}}, status=404)
    if _rate_limited(request, conn):
        response = JsonResponse({"detail": _("Too many webhook calls for this connection; retry later.")}, status=429)
        response["Retry-After"] = "60"
        return response
    body = request.body
    secret = crypto.decrypt(conn.webhook_secret_encrypted)
    replay_key = verify(secret, body, request) if secret else None
    if replay_key is None:
        reason = "no webhook secret is configured" if not secret else "invalid or expired signature"
        inbound_refused(conn=conn, system=system, reason=reason, started=started)
        return JsonResponse({"detail": _("Refused: %(reason)s.") % {"reason": reason}}, status=401)
    try:
        event = system_spec(system).inbound(body)
    except (ValueError, json.JSONDecodeError) as exc:
        return JsonResponse({"detail": _("Bad payload: %(error)s") % {"error": exc}}, status=400)
    status, payload = inbound_handle(
        conn=conn,
        delivery_id=replay_key,
        event=event,
        started=started,
        reference=request.headers.get(delivery_header, "")[:200],
    )
    return JsonResponse(payload, status=status)


def max_age() -> int:
    return settings.INTEGRATIONS_WEBHOOK_MAX_AGE_SECONDS
