"""Pages of the datasets app: list and upload, column mapping, a run's progress, the review queue, versions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from datasets import charts, exports, jobs, selectors, services, versions
from datasets.formats import DOWNLOAD_FORMATS
from datasets.forms import (
    BulkAcceptForm,
    DecisionForm,
    ExportForm,
    MappingForm,
    ReviewFilterForm,
    UploadForm,
    WriteForm,
)
from datasets.models import Dataset, Row, Run, Upload, Version
from helpdesk.http import AuthenticatedHttpRequest

VIEW = "datasets.view_dataset"
MANAGE = "datasets.add_run"
REVIEW = "datasets.change_row"
CHECKOUT = "datasets.change_version"
PAGE_SIZE = 25


def _require(request: AuthenticatedHttpRequest, permission: str) -> None:
    """Checked after the object lookup, so another tenant's id answers 404 before anything else."""
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _errors(error: ValidationError | Any) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    parts = []
    for name, errors in error.errors.items():
        text = " ".join(str(e) for e in errors)
        field = error.fields.get(name)
        parts.append(text if name == "__all__" else f"{field.label if field and field.label else name}: {text}")
    return " ".join(parts)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    datasets = Paginator(selectors.dataset_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    runs = selectors.run_list()[:10]
    return render(request, "datasets/index.html", {"page": datasets, "runs": runs, "upload_form": UploadForm(),
                                                   "export_form": ExportForm()})  # fmt: skip


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    back = request.POST.get("next") or reverse("datasets:index")
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(back)
    try:
        created = services.upload_into(dataset=form.cleaned_data["dataset"], name=form.cleaned_data["name"],
                                       uploaded=form.cleaned_data["file"],
                                       delimiter=form.cleaned_data["delimiter"], by=request.user)  # fmt: skip
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect(back)
    return redirect("datasets:mapping", pk=created.pk)


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def export(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("datasets:index")
    data = form.cleaned_data
    try:
        dataset = services.dataset_for_upload(dataset=data["dataset"], name=data["name"], by=request.user)
        if data["kind"] == Upload.Source.TICKETS:
            created = exports.tickets_export(dataset=dataset, by=request.user)
        else:
            created = exports.draft_pairs_export(dataset=dataset, by=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("datasets:index")
    return redirect("datasets:mapping", pk=created.pk)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def mapping(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    source = selectors.upload_get(pk)
    _require(request, MANAGE)
    form = MappingForm(request.POST or None, upload=source)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                run = services.run_create(
                    upload=source, mapping=form.mapping(), options=form.options(), by=request.user
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("datasets:run", pk=run.pk)
        status = 400
    context = {
        "upload": source,
        "form": form,
        "roles": ["text", "label", "domain", "id", "response"],
        "max_rows": settings.DATASETS_MAX_ROWS,
        "estimate": jobs.estimate(upload=source, options=form.options() if form.is_bound and form.is_valid() else None),
    }
    return render(request, "datasets/mapping.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def dataset_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    dataset = selectors.dataset_get(pk)
    version_list = list(selectors.version_list(dataset=dataset))
    current = dataset.current_version
    chart = (
        charts.label_distribution(current.counts.get("train", {}), current.counts.get("eval", {})) if current else None
    )
    runs = selectors.run_list(dataset=dataset)[:20]
    upload_form = UploadForm(initial={"dataset": dataset.pk})
    context = {"dataset": dataset, "versions": version_list, "current": current, "chart": chart, "runs": runs,
               "upload_form": upload_form}  # fmt: skip
    return render(request, "datasets/dataset_detail.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def run_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_get(pk)
    context = {"run": run, "progress": selectors.review_progress(run), "write_form": _write_form(run),
               "labeling": run.step_state("label").get("counts") or {}}  # fmt: skip
    template = "datasets/run_detail.html#steps" if request.htmx else "datasets/run_detail.html"
    return render(request, template, context)


def _write_form(run: Run) -> WriteForm:
    return WriteForm(initial={"tag": versions.next_tag(run.dataset), "message": run.options.get("message", ""),
                              "balance_labels": run.options.get("balance_labels"),
                              "balance_domains": run.options.get("balance_domains")})  # fmt: skip


@login_required
@require_POST
def run_write(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_get(pk)
    _require(request, MANAGE)
    form = WriteForm(request.POST)
    if form.is_valid():
        try:
            services.run_write_request(run=run, by=request.user, **form.cleaned_data)
            messages.success(request, _("Writing the version has started."))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    else:
        messages.error(request, _errors(form))
    return redirect("datasets:run", pk=run.pk)


@login_required
@require_POST
def run_restart(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_get(pk)
    _require(request, MANAGE)
    try:
        fresh = services.run_restart(run=run, by=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("datasets:run", pk=run.pk)
    return redirect("datasets:run", pk=fresh.pk)


# --- Review queue -------------------------------------------------------------------------------------


def _review_context(request: AuthenticatedHttpRequest, run: Run) -> dict[str, Any]:
    filters = ReviewFilterForm(request.GET if request.method == "GET" else request.POST)
    label = reason = ""
    if filters.is_valid():
        label, reason = filters.cleaned_data["filter_label"], filters.cleaned_data["filter_reason"]
    waiting = selectors.review_queue(run, label=label, reason=reason)
    labels = selectors.review_labels(run)
    return {
        "run": run,
        "item": waiting.first(),
        "waiting": waiting.count(),
        "progress": selectors.review_progress(run),
        "labelled_for_you": selectors.labelled_for_you(run),
        "labelling_waits": selectors.labelling_for_you_waits(run),
        "labels": labels,
        "keyed": list(enumerate(labels[:9], start=1)),
        "label": label,
        "reason": reason,
        "reasons": Row.Reason.choices,
        "bulk_form": BulkAcceptForm(initial={"filter_label": label, "filter_reason": reason}),
        "write_form": _write_form(run),
    }


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def review_queue(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_get(pk)
    _require(request, REVIEW)
    template = "datasets/review.html#item" if request.htmx else "datasets/review.html"
    return render(request, template, _review_context(request, run))


def _after_review(request: AuthenticatedHttpRequest, run: Run) -> HttpResponse:
    if request.htmx:
        return render(request, "datasets/review.html#item", _review_context(request, run))
    query = urlencode({"filter_label": request.POST.get("filter_label", ""),
                       "filter_reason": request.POST.get("filter_reason", "")})  # fmt: skip
    return redirect(reverse("datasets:review", args=[run.pk]) + "?" + query)


@login_required
@require_POST
def review_decide(request: AuthenticatedHttpRequest, pk: int, row: int) -> HttpResponse:
    run = selectors.run_get(pk)
    target = selectors.row_get(run, row)
    _require(request, REVIEW)
    form = DecisionForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.review_decide(
                row=target, action=form.cleaned_data["action"], label=form.cleaned_data["label"], by=request.user
            )
        except ValidationError as exc:
            error = _errors(exc)
    else:
        error = _errors(form)
    if error:
        if not request.htmx:
            messages.error(request, error)
        else:
            context = _review_context(request, run)
            context["error"] = error
            return render(request, "datasets/review.html#item", context, status=400)
    return _after_review(request, run)


@login_required
@require_POST
def review_undo(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_get(pk)
    _require(request, REVIEW)
    if services.review_undo(run=run, by=request.user) is None and not request.htmx:
        messages.info(request, _("Nothing to undo."))
    return _after_review(request, run)


@login_required
@require_POST
def review_bulk(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_get(pk)
    _require(request, REVIEW)
    form = BulkAcceptForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        accepted = services.review_bulk_accept(run=run, by=request.user, min_precision=data["min_precision"],
                                               label=data["filter_label"], reason=data["filter_reason"])  # fmt: skip
        waiting = selectors.review_queue(run)
        if not accepted and waiting.exists() and not waiting.exclude(calibrated_confidence=None).exists():
            messages.warning(
                request,
                _(
                    "Nothing was accepted: this run had too few labelled rows to measure how often its suggestions "
                    "are right, so none can be accepted by precision. Decide them one by one; the labeler labels "
                    "for you once it matches enough of your decisions."
                ),
            )
        else:
            messages.success(
                request,
                ngettext("Accepted %(count)d suggestion.", "Accepted %(count)d suggestions.", accepted)
                % {"count": accepted},
            )
    else:
        messages.error(request, _errors(form))
    return redirect(reverse("datasets:review", args=[run.pk]))


# --- Rejected rows: they stay out of later runs until a person restores them ---------------------------


def _rejected_context(request: AuthenticatedHttpRequest, dataset: Dataset) -> dict[str, Any]:
    query = request.GET.get("q", "").strip()[:200]
    page = Paginator(selectors.rejected_rows(dataset, query=query), PAGE_SIZE).get_page(request.GET.get("page"))
    return {"dataset": dataset, "page": page, "query": query}


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def rejected_rows(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    dataset = selectors.dataset_get(pk)
    template = "datasets/rejected.html#rows" if request.htmx else "datasets/rejected.html"
    return render(request, template, _rejected_context(request, dataset))


@login_required
@require_POST
def rejected_restore(request: AuthenticatedHttpRequest, pk: int, row: int) -> HttpResponse:
    dataset = selectors.dataset_get(pk)
    target = selectors.rejected_row_get(dataset, row)
    _require(request, MANAGE)
    try:
        services.review_restore(row=target, by=request.user)
    except ValidationError as exc:
        if request.htmx:
            return render(request, "datasets/rejected.html#row", {"dataset": dataset, "row": target,
                                                                  "error": _errors(exc)}, status=409)  # fmt: skip
        messages.error(request, _errors(exc))
        return redirect("datasets:rejected", pk=dataset.pk)
    target.refresh_from_db(fields=["status"])
    if request.htmx:
        return render(request, "datasets/rejected.html#row", {"dataset": dataset, "row": target, "restored": True})
    messages.success(request, _("The row is back in the review queue of run #%(run)d.") % {"run": target.run_id})
    return redirect("datasets:rejected", pk=dataset.pk)


# --- Versions -----------------------------------------------------------------------------------------


def _version(pk: int, tag: str) -> tuple[Dataset, Version]:
    dataset = selectors.dataset_get(pk)
    return dataset, selectors.version_by_tag(dataset, tag)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def version_detail(request: AuthenticatedHttpRequest, pk: int, tag: str) -> HttpResponse:
    dataset, version = _version(pk, tag)
    chart = charts.label_distribution(version.counts.get("train", {}), version.counts.get("eval", {}))
    classifier = getattr(version, "classifier", None)
    labels = version.labels
    table = [(label, version.counts["train"].get(label, 0), version.counts["eval"].get(label, 0)) for label in labels]
    context = {"dataset": dataset, "version": version, "chart": chart, "classifier": classifier, "table": table,
               "formats": DOWNLOAD_FORMATS, "is_current": dataset.current_version_id == version.pk}  # fmt: skip
    return render(request, "datasets/version_detail.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def version_download(request: AuthenticatedHttpRequest, pk: int, tag: str, split: str, kind: str) -> HttpResponseBase:
    _, version = _version(pk, tag)
    try:
        return versions.download(version, split, kind)
    except ValidationError as exc:
        return HttpResponse(_errors(exc), status=404, content_type="text/plain")


@login_required
@require_POST
def version_checkout(request: AuthenticatedHttpRequest, pk: int, tag: str) -> HttpResponse:
    dataset, version = _version(pk, tag)
    _require(request, CHECKOUT)
    versions.version_checkout(version=version)
    messages.success(
        request, _("%(tag)s is now the current version of %(dataset)s.") % {"tag": version.tag, "dataset": dataset.name}
    )
    return redirect("datasets:dataset", pk=dataset.pk)


@login_required
@require_POST
def dataset_rollback(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    dataset = selectors.dataset_get(pk)
    _require(request, CHECKOUT)
    try:
        version = versions.version_rollback(dataset=dataset)
        messages.success(request, _("Rolled back: %(tag)s is the current version again.") % {"tag": version.tag})
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("datasets:dataset", pk=dataset.pk)


@login_required
@require_POST
def version_retrain(request: AuthenticatedHttpRequest, pk: int, tag: str) -> HttpResponse:
    dataset, version = _version(pk, tag)
    _require(request, CHECKOUT)
    services.classifier_retrain(version=version)
    messages.success(request, _("The classifier of %(tag)s is being trained again.") % {"tag": version.tag})
    return redirect("datasets:version", pk=dataset.pk, tag=version.tag)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def version_diff(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    dataset = selectors.dataset_get(pk)
    base = selectors.version_by_tag(dataset, request.GET.get("base", ""))
    other = selectors.version_by_tag(dataset, request.GET.get("other", ""))
    diff = versions.version_diff(base=base, other=other)
    tags = list(selectors.version_list(dataset=dataset).values_list("tag", flat=True))
    return render(request, "datasets/diff.html", {"dataset": dataset, "diff": diff, "tags": tags})
