from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from assistants import selectors, services
from assistants.forms import AssistantCreateForm, AssistantForm, RequestTypeFormSet
from helpdesk.http import AuthenticatedHttpRequest


@login_required
@permission_required("assistants.view_assistant", raise_exception=True)
def assistant_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "assistants/assistant_list.html", {"assistants": selectors.assistant_list()})


@login_required
@permission_required("assistants.add_assistant", raise_exception=True)
@require_http_methods(["GET", "POST"])
def assistant_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AssistantCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assistant = services.assistant_create(company=request.tenant.name, **form.cleaned_data)
        messages.success(
            request, _("%(name)s is ready with a safe default policy. Test it below.") % {"name": assistant.name}
        )
        return redirect("assistants:detail", pk=assistant.pk)
    return render(request, "assistants/assistant_create.html", {"form": form})


@login_required
@permission_required("assistants.view_assistant", raise_exception=True)
def assistant_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return render(request, "assistants/assistant_detail.html", {"assistant": selectors.assistant_get(pk)})


def _detail_again(request: AuthenticatedHttpRequest, assistant: object, *, origins: str, error: str) -> HttpResponse:
    """The assistant's page with the rejected origins still typed in and the reason under them."""
    context = {"assistant": assistant, "origins_value": origins, "origins_error": error}
    return render(request, "assistants/assistant_detail.html", context, status=400)


@login_required
@permission_required("assistants.change_assistant", raise_exception=True)
@require_http_methods(["GET", "POST"])
def assistant_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assistant = selectors.assistant_get(pk)
    form = AssistantForm(request.POST or None, instance=assistant)
    request_types = RequestTypeFormSet(request.POST or None, instance=assistant, prefix="types")
    if request.method == "POST" and form.is_valid() and request_types.is_valid():
        with transaction.atomic():  # ModelForm saves are the service here: fields and their request types
            form.save()
            request_types.save()
        messages.success(request, _("Saved."))
        return redirect("assistants:detail", pk=assistant.pk)
    has_errors = bool(request_types.non_form_errors()) or any(f.errors for f in request_types.forms)
    return render(
        request,
        "assistants/assistant_edit.html",
        {
            "assistant": assistant,
            "form": form,
            "request_types": request_types,
            "formsets": [request_types],
            "formsets_have_errors": request.method == "POST" and has_errors,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@permission_required("assistants.change_assistant", raise_exception=True)
@require_POST
def assistant_make_default(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assistant = selectors.assistant_get(pk)
    services.assistant_set_default(assistant=assistant)
    messages.success(request, _("%(name)s now answers tickets and chats by default.") % {"name": assistant.name})
    return redirect(reverse("assistants:list"))


@login_required
@permission_required("assistants.change_assistant", raise_exception=True)
@require_POST
def widget_key_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assistant = selectors.assistant_get(pk)
    typed = request.POST.get("allowed_origins", "")
    origins = [o for o in typed.replace(",", "\n").splitlines() if o.strip()]
    try:
        services.widget_key_create(assistant=assistant, allowed_origins=origins)
    except ValidationError as exc:
        return _detail_again(request, assistant, origins=typed, error=" ".join(exc.messages))
    messages.success(request, _("Widget key created: paste its script tag into your site."))
    return redirect("assistants:detail", pk=assistant.pk)


@login_required
@permission_required("assistants.change_assistant", raise_exception=True)
@require_POST
def widget_key_revoke(request: AuthenticatedHttpRequest, pk: int, key_id: int) -> HttpResponse:
    widget_key = selectors.widget_key_get(assistant=selectors.assistant_get(pk), pk=key_id)
    services.widget_key_revoke(widget_key=widget_key)
    messages.success(request, _("Widget key revoked: sites using it no longer get the chat box."))
    return redirect(reverse("assistants:detail", args=[pk]) + "#widget")
