"""Pages of integrations; the navigation shows the section once `integrations:index` exists."""

from django.urls import URLPattern, URLResolver, include, path

from integrations import views

app_name = "integrations"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("outbox/<int:pk>/retry/", views.retry, name="retry"),
    path("tickets/<int:number>/panel/", views.ticket_panel, name="ticket-panel"),
    path("tickets/<int:number>/escalate/", views.ticket_escalate, name="ticket-escalate"),
    path("jira/", include("integrations.jira.urls")),
    path("zendesk/", include("integrations.zendesk.urls")),
    path("webhooks/", include("integrations.webhooks.urls")),
]
