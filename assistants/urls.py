"""Pages of the assistants section; the navigation shows the section once its named URL exists."""

from django.urls import URLPattern, URLResolver

app_name = "assistants"

urlpatterns: list[URLPattern | URLResolver] = []
