"""Pages of the tickets section; the navigation shows the section once its named URL exists."""

from django.urls import URLPattern, URLResolver

app_name = "tickets"

urlpatterns: list[URLPattern | URLResolver] = []
