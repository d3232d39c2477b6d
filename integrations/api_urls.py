"""API endpoints of integrations, mounted under /api/v1/."""

from django.urls import path

from integrations import api

urlpatterns = [
    path("tickets/<int:number>/escalate", api.TicketEscalateView.as_view(), name="ticket-escalate"),
    path("tickets/<int:number>/escalations", api.TicketEscalationsView.as_view(), name="ticket-escalations"),
]
