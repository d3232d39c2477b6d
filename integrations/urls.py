"""Pages of integrations; the navigation shows the section once `integrations:index` exists.

Each registered system's pages are mounted at "<key>/" from its spec (jira/, zendesk/).
"""

from django.urls import URLPattern, URLResolver, include, path

from integrations import views
from integrations.registry import systems

app_name = "integrations"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("outbox/<int:pk>/retry/", views.retry, name="retry"),
    path("tickets/<int:number>/panel/", views.ticket_panel, name="ticket-panel"),
    path("tickets/<int:number>/escalate/", views.ticket_escalate, name="ticket-escalate"),
    *(path(f"{spec.key}/", include(spec.urls)) for spec in systems()),
    path("webhooks/", include("integrations.events.urls")),
]
