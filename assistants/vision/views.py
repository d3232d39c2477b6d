"""Pages of the screenshot reader: a ticket attachment's result (polled while it is read), its thumbnail,
applying its category, and the tenant's labels for managers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assistants.vision import selectors, services
from assistants.vision.forms import LabelForm
from helpdesk.http import AuthenticatedHttpRequest
from tickets.models import Attachment, Ticket
from tickets.selectors import attachment_get, ticket_get

ATTACHMENT = "vision/attachment.html"
LABELS = "vision/labels.html"


def _image_attachment(number: int, pk: int) -> tuple[Ticket, Attachment]:
    ticket = ticket_get(number=number)
    attachment = attachment_get(ticket=ticket, attachment_id=pk)
    if not selectors.is_image(attachment):
        raise Http404("Not an image")
    return ticket, attachment


def attachment_context(
    request: AuthenticatedHttpRequest, ticket: Ticket, attachment: Attachment, **extra: Any
) -> dict[str, Any]:
    analysis = selectors.analysis_for_attachment(attachment=attachment)
    return {
        "ticket": ticket,
        "attachment": attachment,
        "analysis": analysis,
        "titles": selectors.label_titles(),
        "low_confidence": settings.VISION_LOW_CONFIDENCE,
        "can_apply": request.user.has_perm("tickets.change_ticket"),
        "can_teach": request.user.has_perm("vision.change_screenshotlabel"),
        "teach_labels": selectors.label_specs(),
        **extra,
    }


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def attachment_result(request: AuthenticatedHttpRequest, number: int, pk: int) -> HttpResponse:
    ticket, attachment = _image_attachment(number, pk)
    return render(request, f"{ATTACHMENT}#analysis", attachment_context(request, ticket, attachment))


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def thumbnail(request: AuthenticatedHttpRequest, number: int, pk: int) -> HttpResponse:
    _, attachment = _image_attachment(number, pk)
    data = selectors.thumbnail_for_attachment(attachment=attachment)
    if not data:
        raise Http404("No thumbnail yet")
    response = HttpResponse(data, content_type="image/webp")
    # Our own re-encoding of the image, so it can be shown inline; private: it is a customer's screen.
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@login_required
@permission_required("tickets.change_ticket", raise_exception=True)
@require_POST
def apply_category(request: AuthenticatedHttpRequest, number: int, pk: int) -> HttpResponse:
    ticket, attachment = _image_attachment(number, pk)
    analysis = selectors.analysis_for_attachment(attachment=attachment)
    try:
        if analysis is None:
            raise ValidationError(_("This screenshot has not been read yet."))
        services.analysis_apply_category(analysis=analysis, by=request.user)
    except ValidationError as exc:
        context = attachment_context(request, ticket, attachment, error=" ".join(exc.messages))
        return render(request, f"{ATTACHMENT}#analysis", context, status=400 if not request.htmx else 200)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"  # the header, the audit trail and other chips all change
        return response
    messages.success(request, _("Category applied."))
    return redirect("tickets:detail", number=ticket.number)


@login_required
@permission_required("vision.change_screenshotlabel", raise_exception=True)
@require_POST
def teach_label(request: AuthenticatedHttpRequest, number: int, pk: int) -> HttpResponse:
    """A manager's "this is a <label>" on a screenshot: stored as an example of that label."""
    ticket, attachment = _image_attachment(number, pk)
    analysis = selectors.analysis_for_attachment(attachment=attachment)
    try:
        if analysis is None:
            raise ValidationError(_("This screenshot has not been read yet."))
        label = services.analysis_teach(analysis=analysis, label_name=request.POST.get("label", ""))
    except ValidationError as exc:
        context = attachment_context(request, ticket, attachment, error=" ".join(exc.messages))
        return render(request, f"{ATTACHMENT}#analysis", context, status=200 if request.htmx else 400)
    taught = _("Saved as an example of “%(title)s”: the next screenshot like it is classified so.") % {
        "title": label.title
    }
    if request.htmx:
        return render(request, f"{ATTACHMENT}#analysis", attachment_context(request, ticket, attachment, taught=taught))
    messages.success(request, taught)
    return redirect("tickets:detail", number=ticket.number)


# --- Labels (managers) -----------------------------------------------------------------------------


def _labels_page(request: AuthenticatedHttpRequest, form: LabelForm | None = None, status: int = 200) -> HttpResponse:
    context = {
        "labels": selectors.label_list(),
        "form": form or LabelForm(),
        "can_edit": request.user.has_perm("vision.change_screenshotlabel"),
    }
    return render(request, LABELS, context, status=status)


@login_required
@permission_required("vision.view_screenshotlabel", raise_exception=True)
@require_http_methods(["GET", "POST"])
def label_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _labels_page(request)
    if not request.user.has_perm("vision.add_screenshotlabel"):
        raise PermissionDenied("Only managers change the screenshot labels.")
    if request.POST.get("restore_defaults"):
        count = services.labels_restore_defaults()
        messages.success(
            request,
            ngettext("%(count)d default label stored.", "%(count)d default labels stored.", count) % {"count": count}
            if count
            else _("Labels exist already."),
        )
        return redirect("vision:labels")
    form = LabelForm(request.POST)
    if form.is_valid():
        try:
            label = services.label_save(**form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Label “%(title)s” added.") % {"title": label.title})
            return redirect("vision:labels")
    return _labels_page(request, form, status=400)


@login_required
@permission_required("vision.change_screenshotlabel", raise_exception=True)
@require_http_methods(["GET", "POST"])
def label_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    label = selectors.label_get(pk=pk)
    form = LabelForm(request.POST or None, initial=LabelForm.initial_for(label))
    if request.method == "POST" and form.is_valid():
        try:
            services.label_save(label=label, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Label “%(title)s” saved.") % {"title": label.title})
            return redirect("vision:labels")
    status = 400 if form.is_bound else 200
    return render(request, "vision/label_edit.html", {"label": label, "form": form}, status=status)


@login_required
@permission_required("vision.delete_screenshotlabel", raise_exception=True)
@require_POST
def label_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    label = selectors.label_get(pk=pk)
    try:
        services.label_delete(label=label)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Label “%(title)s” deleted.") % {"title": label.title})
    return redirect("vision:labels")
