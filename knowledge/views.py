"""Pages of the knowledge base: documents (upload, URL, text), a document's chunks, the search playground."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.http import AuthenticatedHttpRequest
from knowledge import duplicates, selectors, services
from knowledge.extract import ExtractionError
from knowledge.forms import EmbeddingModelForm, SearchForm, TextForm, UploadForm, UrlForm, VisibilityForm
from knowledge.models import Document

PAGE_SIZE = 25
VIEW = "knowledge.view_document"
ADD = "knowledge.add_document"
CHANGE = "knowledge.change_document"
DELETE = "knowledge.delete_document"


def _form_errors(form: UploadForm | UrlForm | TextForm | EmbeddingModelForm) -> str:
    parts = []
    for name, errors in form.errors.items():
        text = " ".join(str(error) for error in errors)
        parts.append(text if name == "__all__" else f"{name}: {text}")
    return " ".join(parts)


def _document_for(request: AuthenticatedHttpRequest, pk: int, permission: str) -> Document:
    """The document (404 if this tenant has none with that id), then the permission check (403)."""
    document = selectors.document_get(pk)
    if not request.user.has_perm(permission):
        raise PermissionDenied
    return document


def _held_rows(request: AuthenticatedHttpRequest) -> list[tuple[duplicates.Held, Document]]:
    rows = []
    documents = selectors.documents_by_ids([h.duplicate_of for h in _held(request)])
    for held in _held(request):
        if held.duplicate_of in documents:
            rows.append((held, documents[held.duplicate_of]))
    return rows


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _index(request)


def _index(request: AuthenticatedHttpRequest, *, status_code: int = 200, **forms: object) -> HttpResponse:
    """The knowledge page; a rejected form comes back bound, so what was typed is not lost."""
    status = request.GET.get("status", "")
    query = request.GET.get("q", "").strip()
    documents = selectors.document_list(status=status if status in Document.Status.values else "", query=query)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "query": query,
        "statuses": Document.Status.choices,
        "polling": any(d.in_progress for d in page.object_list),
        "upload_form": UploadForm(),
        "held": _held_rows(request),
        "url_form": UrlForm(),
        "text_form": TextForm(),
        **forms,
    }
    template = "knowledge/index.html#rows" if request.htmx and not forms else "knowledge/index.html"
    return render(request, template, context, status=status_code)


HELD_SESSION_KEY = "knowledge_held_uploads"


def _held(request: AuthenticatedHttpRequest) -> list[duplicates.Held]:
    return [duplicates.Held(**item) for item in request.session.get(HELD_SESSION_KEY, [])]


def _set_held(request: AuthenticatedHttpRequest, held: list[duplicates.Held]) -> None:
    request.session[HELD_SESSION_KEY] = [h.as_dict() for h in held]


@login_required
@permission_required(ADD, raise_exception=True)
@require_POST
def upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each file on its own: the good ones are added, the bad ones named, repeats held back for a decision."""
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("knowledge:index")
    language, tags = form.cleaned_data["language"], form.cleaned_data["tags"]
    visibility = form.cleaned_data["visibility"]
    added: list[Document] = []
    held = _held(request)
    for uploaded in form.cleaned_data["files"]:
        try:
            services.check_upload(uploaded)
            repeated, same = duplicates.duplicate_of(uploaded=uploaded, digest=services.file_digest(uploaded))
            if repeated is not None:
                held.append(
                    duplicates.upload_hold(
                        uploaded=uploaded,
                        duplicate=repeated,
                        same_content=same,
                        language=language,
                        tags=tags,
                        visibility=visibility,
                    )
                )
                continue
            added.append(
                services.document_create_from_upload(
                    uploaded=uploaded, language=language, tags=tags, visibility=visibility
                )
            )
        except services.UploadRejected as exc:
            messages.error(request, str(exc))
    _set_held(request, held)
    if added:
        _added_message(request, added, f"{len(added)} file{'s' if len(added) != 1 else ''} added")
    return redirect("knowledge:index")


def _added_message(request: AuthenticatedHttpRequest, documents: list[Document], what: str) -> None:
    if all(d.queued_at for d in documents):
        messages.success(request, f"{what}; indexing has started.")
    else:  # saved, but the broker was unreachable: the sweeper queues them when it is back
        messages.warning(request, f"{what}. The task queue is unreachable right now: indexing starts when it is back.")


@login_required
@permission_required(ADD, raise_exception=True)
@require_POST
def held_decide(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Replace the earlier document with a held upload, keep both, or discard the upload."""
    held = _held(request)
    path, action = request.POST.get("path", ""), request.POST.get("action", "")
    chosen = next((h for h in held if h.path == path), None)
    if chosen is None or action not in ("replace", "keep", "discard"):
        messages.error(request, _("That upload is no longer waiting; upload the file again."))
        return redirect("knowledge:index")
    try:
        if action == "replace":
            document = _document_for(request, chosen.duplicate_of, CHANGE)
            duplicates.held_replace(held=chosen, document=document)
            _added_message(request, [document], f"“{document.title}” now has the new {chosen.filename}")
        elif action == "keep":
            document = duplicates.held_keep_both(held=chosen)
            _added_message(request, [document], f"{chosen.filename} added as a second document")
        else:
            duplicates.held_discard(held=chosen)
            messages.success(request, f"{chosen.filename} was not added.")
    except (ExtractionError, Http404) as exc:
        duplicates.held_discard(held=chosen)
        messages.error(request, str(exc) or _("The earlier document is gone; upload the file again."))
    _set_held(request, [h for h in held if h.path != path])
    return redirect("knowledge:index")


@login_required
@permission_required(ADD, raise_exception=True)
@require_POST
def add_url(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = UrlForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _index(request, status_code=400, url_form=form)
    try:
        document = services.document_create_from_url(
            url=form.cleaned_data["url"],
            title=form.cleaned_data["title"],
            language=form.cleaned_data["language"],
            tags=form.cleaned_data["tags"],
            visibility=form.cleaned_data["visibility"],
        )
    except ExtractionError as exc:
        messages.error(request, str(exc))
        return _index(request, status_code=400, url_form=form)
    _added_message(request, [document], f"{document.url} added")
    return redirect("knowledge:index")


@login_required
@permission_required(ADD, raise_exception=True)
@require_POST
def add_text(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TextForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _index(request, status_code=400, text_form=form)
    try:
        document = services.document_create_from_text(
            title=form.cleaned_data["title"],
            text=form.cleaned_data["text"],
            language=form.cleaned_data["language"],
            tags=form.cleaned_data["tags"],
            visibility=form.cleaned_data["visibility"],
        )
    except ExtractionError as exc:
        messages.error(request, str(exc))
        return redirect("knowledge:index")
    _added_message(request, [document], f"“{document.title}” added")
    return redirect("knowledge:index")


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    document = selectors.document_get(pk)
    if request.htmx and request.GET.get("fragment") == "status":
        return render(request, "knowledge/detail.html#status", {"document": document})
    chunks = Paginator(selectors.chunk_list(document=document), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "knowledge/detail.html", {"document": document, "chunks": chunks})


@login_required
@require_POST
def retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    document = _document_for(request, pk, CHANGE)
    try:
        services.document_retry(document=document)
        messages.success(request, f"“{document.title}” is queued for indexing again.")
    except ExtractionError as exc:
        messages.error(request, str(exc))
    return redirect(request.POST.get("next") or reverse("knowledge:detail", args=[document.pk]))


@login_required
@require_POST
def archive(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    document = _document_for(request, pk, CHANGE)
    archived = request.POST.get("archived", "1") == "1"
    services.document_archive(document=document, archived=archived)
    messages.success(request, f"“{document.title}” {'archived' if archived else 'restored'}.")
    return redirect("knowledge:detail", pk=document.pk)


@login_required
@require_POST
def set_visibility(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    document = _document_for(request, pk, CHANGE)
    form = VisibilityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose internal or public."))
        return redirect("knowledge:detail", pk=document.pk)
    services.document_set_visibility(document=document, visibility=form.cleaned_data["visibility"])
    messages.success(request, f"“{document.title}” is now {document.get_visibility_display().lower()}.")
    return redirect("knowledge:detail", pk=document.pk)


@login_required
@require_POST
def delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    document = _document_for(request, pk, DELETE)
    title = document.title
    services.document_delete(document=document)
    messages.success(request, f"“{title}” deleted.")
    return redirect("knowledge:index")


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def search(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    hits: list[services.SearchHit] = []
    error = ""
    if form.is_valid():
        try:
            hits = services.search(
                form.cleaned_data["q"],
                top_k=form.cleaned_data["top_k"] or 10,
                mode=form.cleaned_data["mode"],
                tags=form.cleaned_data["tags"],
                language=form.cleaned_data["language"] or None,
                visibility=form.cleaned_data["visibility"] or None,
            )
        except services.SearchError as exc:
            error = str(exc)
    context = {"form": form, "hits": hits, "error": error, "searched": form.is_bound and form.is_valid()}
    template = "knowledge/search.html#results" if request.htmx else "knowledge/search.html"
    return render(request, template, context)


SWITCH_VIEW = "knowledge.view_embeddingswitch"
SWITCH_ADD = "knowledge.add_embeddingswitch"
SWITCH_CHANGE = "knowledge.change_embeddingswitch"


@login_required
@permission_required(SWITCH_VIEW, raise_exception=True)
@require_GET
def embedding(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The knowledge settings: the tenant's language and embedding model, and the progress of a switch."""
    context = {
        "tenant": request.tenant,
        "switch": selectors.embedding_switch_current(),
        "form": EmbeddingModelForm(current=request.tenant.embedding_model),
    }
    template = "knowledge/embedding.html#switch" if request.htmx else "knowledge/embedding.html"
    return render(request, template, context)


@login_required
@permission_required(SWITCH_ADD, raise_exception=True)
@require_POST
def embedding_switch(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = EmbeddingModelForm(request.POST, current=request.tenant.embedding_model)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("knowledge:embedding")
    try:
        switch = services.embedding_switch_start(model=form.cleaned_data["model"])
    except services.SwitchError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Re-embedding {switch.total} chunks with {switch.target_model}; search stays on the current model.",
        )
    return redirect("knowledge:embedding")


@login_required
@permission_required(SWITCH_CHANGE, raise_exception=True)
@require_POST
def embedding_cancel(request: AuthenticatedHttpRequest) -> HttpResponse:
    switch = selectors.embedding_switch_current()
    try:
        if switch is None:
            raise services.SwitchError(_("No switch is running."))
        services.embedding_switch_cancel(switch=switch)
        messages.success(
            request, _("Switch cancelled; the knowledge base keeps %(model)s.") % {"model": switch.source_model}
        )
    except services.SwitchError as exc:
        messages.error(request, str(exc))
    return redirect("knowledge:embedding")
