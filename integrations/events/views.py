"""Outgoing webhooks: endpoints (the secret is shown once), their deliveries, redeliver."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.http import AuthenticatedHttpRequest
from integrations import selectors
from integrations.events import services
from integrations.forms import WebhookEndpointForm

LIST = "integrations/webhooks/endpoint_list.html"
DETAIL = "integrations/webhooks/endpoint_detail.html"


def _apply_errors(form: WebhookEndpointForm, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@login_required
@permission_required("integrations.view_webhookendpoint", raise_exception=True)
@require_http_methods(["GET", "POST"])
def endpoint_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None)
    secret = None
    if request.method == "POST":
        if not request.user.has_perm("integrations.add_webhookendpoint"):
            raise PermissionDenied
        if form.is_valid():
            try:
                endpoint, secret = services.endpoint_create(
                    url=form.cleaned_data["url"],
                    events=form.cleaned_data["events"],
                    description=form.cleaned_data["description"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Webhook %(url)s added. Copy its signing secret now: it is not shown again.")
                    % {"url": endpoint.url},
                )
                form = WebhookEndpointForm()
    return render(request, LIST, {"form": form, "endpoints": selectors.endpoint_list(), "secret": secret})


@login_required
@permission_required("integrations.view_webhookendpoint", raise_exception=True)
@require_http_methods(["GET", "POST"])
def endpoint_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(pk=pk)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "active": endpoint.active,
    }
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not request.user.has_perm("integrations.change_webhookendpoint"):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.endpoint_update(endpoint=endpoint, **form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Webhook saved."))
                return redirect("integrations:webhook", pk=endpoint.pk)
    deliveries = Paginator(endpoint.deliveries.all(), 25).get_page(request.GET.get("page"))
    return render(request, DETAIL, {"endpoint": endpoint, "form": form, "deliveries": deliveries})


@login_required
@require_POST
def endpoint_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(pk=pk)
    if not request.user.has_perm("integrations.delete_webhookendpoint"):
        raise PermissionDenied
    services.endpoint_delete(endpoint=endpoint)
    messages.success(request, _("Webhook %(url)s deleted with its deliveries.") % {"url": endpoint.url})
    return redirect("integrations:webhooks")


@login_required
@require_POST
def redeliver(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.delivery_get(pk=pk)
    if not request.user.has_perm("integrations.change_webhookdelivery"):
        raise PermissionDenied
    services.delivery_redeliver(delivery=delivery)
    messages.success(
        request, _("%(event)s queued again for %(url)s.") % {"event": delivery.event, "url": delivery.endpoint.url}
    )
    if request.POST.get("next") == "index":
        return redirect("integrations:index")
    return redirect("integrations:webhook", pk=delivery.endpoint_id)
