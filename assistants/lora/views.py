"""Pages of an assistant's adapters: versions, training form with preview, live progress, actions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assistants import selectors as assistant_selectors
from assistants.lora import selectors, services
from assistants.lora.api import eta_seconds
from assistants.lora.charts import loss_chart
from assistants.lora.forms import ActivateForm, TrainForm
from assistants.lora.models import Adapter
from assistants.lora.sources import registry
from helpdesk.http import AuthenticatedHttpRequest

LIST = "lora/adapter_list.html"
NEW = "lora/adapter_new.html"
DETAIL = "lora/adapter_detail.html"
View = Callable[..., HttpResponse]


def needs(action: str) -> Callable[[View], View]:
    """The role permission ``lora.<action>_adapter``, checked after the assistant lookup so outsiders get 404."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: AuthenticatedHttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
            assistant_selectors.assistant_get(pk)
            if not request.user.has_perm(f"lora.{action}_adapter"):
                raise PermissionDenied
            return view(request, pk, **kwargs)

        return wrapped

    return decorate


def _detail_context(adapter: Adapter) -> dict[str, object]:
    return {
        "assistant": adapter.assistant,
        "adapter": adapter,
        "chart": loss_chart(adapter.loss_curve, adapter.total_steps),
        "eta": eta_seconds(adapter),
        "drop": services.heldout_drop(adapter),
        "gate": services.passes_gate(adapter),
    }


@login_required
@permission_required("lora.view_adapter", raise_exception=True)
@require_GET
def adapter_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assistant = assistant_selectors.assistant_get(pk)
    active = selectors.active_adapter(assistant)
    context = {
        "assistant": assistant,
        "adapters": selectors.adapter_list(assistant=assistant),
        "active": active,
        "not_applied": selectors.base_mismatch(active, assistant) if active else "",
        "in_flight": selectors.adapter_in_flight(),
        "answers_with": assistant.chat_model_label,
    }
    return render(request, LIST, context)


@login_required
@needs("add")
@require_http_methods(["GET", "POST"])
def adapter_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assistant = assistant_selectors.assistant_get(pk)
    form = TrainForm(request.POST or None, request.FILES or None, initial={"sources": ["knowledge"]})
    counts = {kind: source.available(assistant) for kind, source in registry().items() if kind != "upload"}
    context: dict[str, object] = {"assistant": assistant, "form": form, "counts": counts}
    if request.method == "POST" and form.is_valid():
        sources = form.chosen_sources()
        upload = form.cleaned_data.get("upload")
        try:
            if "preview" in request.POST:
                context["preview"] = services.preview(
                    assistant=assistant, sources=sources, upload=upload, hyperparameters=form.hyperparameters()
                )
            else:
                adapter = services.adapter_request(
                    assistant=assistant,
                    sources=sources,
                    hyperparameters=form.hyperparameters(),
                    upload=upload,
                    activate=form.cleaned_data["activate"],
                    by=request.user,
                )
                messages.success(request, _("Training of %(adapter)s is queued.") % {"adapter": adapter.label})
                return redirect("lora:detail", pk=assistant.pk, adapter_id=adapter.pk)
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
    if request.htmx and "preview" in request.POST:
        return render(request, f"{NEW}#preview", context, status=200 if "error" not in context else 422)
    return render(request, NEW, context, status=422 if request.method == "POST" else 200)


@login_required
@permission_required("lora.view_adapter", raise_exception=True)
@require_GET
def adapter_detail(request: AuthenticatedHttpRequest, pk: int, adapter_id: int) -> HttpResponse:
    assistant = assistant_selectors.assistant_get(pk)
    adapter = selectors.adapter_get(assistant=assistant, pk=adapter_id)
    if request.GET.get("part") == "publishing":  # polled while a worker publishes to Ollama
        return render(request, f"{DETAIL}#publishing", _detail_context(adapter))
    context = _detail_context(adapter) | {"events": selectors.adapter_events(adapter=adapter)}
    return render(request, DETAIL, context)


@login_required
@permission_required("lora.view_adapter", raise_exception=True)
@require_GET
def adapter_progress(request: AuthenticatedHttpRequest, pk: int, adapter_id: int) -> HttpResponse:
    assistant = assistant_selectors.assistant_get(pk)
    adapter = selectors.adapter_get(assistant=assistant, pk=adapter_id)
    response = render(request, f"{DETAIL}#progress", _detail_context(adapter))
    if not adapter.in_progress and request.GET.get("was") == "running":
        response["HX-Refresh"] = "true"  # training ended: metrics and actions changed
    return response


def _act(request: AuthenticatedHttpRequest, pk: int, adapter_id: int) -> Adapter:
    assistant = assistant_selectors.assistant_get(pk)
    return selectors.adapter_get(assistant=assistant, pk=adapter_id)


@login_required
@needs("change")
@require_POST
def adapter_activate(request: AuthenticatedHttpRequest, pk: int, adapter_id: int) -> HttpResponse:
    adapter = _act(request, pk, adapter_id)
    form = ActivateForm(request.POST)
    form.is_valid()
    try:
        services.adapter_activate(
            adapter=adapter,
            by=request.user,
            override=bool(form.cleaned_data.get("override")),
            note=form.cleaned_data.get("note", ""),
        )
        messages.success(
            request,
            _("%(assistant)s now answers with %(adapter)s.")
            % {"assistant": adapter.assistant.name, "adapter": adapter.label},
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("lora:detail", pk=pk, adapter_id=adapter.pk)


@login_required
@needs("change")
@require_POST
def adapter_cancel(request: AuthenticatedHttpRequest, pk: int, adapter_id: int) -> HttpResponse:
    adapter = _act(request, pk, adapter_id)
    try:
        services.adapter_cancel(adapter=adapter, by=request.user)
        messages.success(request, _("%(adapter)s: cancelling.") % {"adapter": adapter.label})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("lora:detail", pk=pk, adapter_id=adapter.pk)


@login_required
@needs("change")
@require_POST
def adapter_publish(request: AuthenticatedHttpRequest, pk: int, adapter_id: int) -> HttpResponse:
    adapter = _act(request, pk, adapter_id)
    try:
        services.adapter_publish(adapter=adapter, by=request.user)
        messages.success(
            request,
            _("Publishing %(adapter)s to Ollama; this page shows when it is done.") % {"adapter": adapter.label},
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("lora:detail", pk=pk, adapter_id=adapter.pk)


@login_required
@needs("delete")
@require_POST
def adapter_delete(request: AuthenticatedHttpRequest, pk: int, adapter_id: int) -> HttpResponse:
    adapter = _act(request, pk, adapter_id)
    try:
        services.adapter_delete(adapter=adapter, by=request.user)
        messages.success(request, _("%(adapter)s and its files are deleted.") % {"adapter": adapter.label})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("lora:detail", pk=pk, adapter_id=adapter.pk)
    return redirect("lora:list", pk=pk)


@login_required
@needs("change")
@require_POST
def adapter_rollback(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assistant = assistant_selectors.assistant_get(pk)
    try:
        previous = services.adapter_rollback(assistant=assistant, by=request.user)
        messages.success(
            request,
            _("Rolled back to %(adapter)s.") % {"adapter": previous.label}
            if previous
            else _("Back to the base model."),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("lora:list", pk=pk)


@login_required
@needs("change")
@require_POST
def adapter_deactivate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assistant = assistant_selectors.assistant_get(pk)
    services.adapter_deactivate(assistant=assistant, by=request.user)
    messages.success(request, _("%(assistant)s answers with the base model again.") % {"assistant": assistant.name})
    return redirect("lora:list", pk=pk)
