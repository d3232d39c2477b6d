"""API endpoints of tickets, mounted under /api/v1/."""

from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

from tickets.api import ContactViewSet, TicketViewSet

router = SimpleRouter(trailing_slash=True)
router.register("tickets", TicketViewSet, basename="ticket")
router.register("contacts", ContactViewSet, basename="contact")

urlpatterns: list[URLPattern | URLResolver] = [path("", include(router.urls))]
