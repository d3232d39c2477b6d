"""Pages of the knowledge section; the navigation shows the section once its named URL exists."""

from django.urls import URLPattern, URLResolver

app_name = "knowledge"

urlpatterns: list[URLPattern | URLResolver] = []
