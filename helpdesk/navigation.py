"""The main navigation: a section appears once its app provides the named URL."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SECTIONS = [
    (gettext_lazy("Tickets"), "tickets:list"),
    (gettext_lazy("Knowledge"), "knowledge:index"),
    (gettext_lazy("Assistants"), "assistants:list"),
    (gettext_lazy("Integrations"), "integrations:index"),
    (gettext_lazy("Mail"), "mail:index"),
    (gettext_lazy("Datasets"), "datasets:index"),
]


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": []}
    urlconf = getattr(request, "urlconf", None)
    items = []
    for label, name in SECTIONS:
        try:
            url = reverse(name, urlconf=urlconf)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path.startswith(url)})
    if user.is_staff:
        items.append({"label": _("Admin"), "url": reverse("admin:index", urlconf=urlconf), "active": False})
    return {"nav_sections": items}
