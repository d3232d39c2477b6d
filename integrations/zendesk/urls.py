from django.urls import path

from integrations.zendesk import views

urlpatterns = [
    path("", views.settings_page, name="zendesk"),
    path("test/", views.test, name="zendesk-test"),
    path("webhook", views.webhook, name="zendesk-webhook"),
]
