from django.urls import path

from integrations.jira import views

urlpatterns = [
    path("", views.settings_page, name="jira"),
    path("test/", views.test, name="jira-test"),
    path("webhook", views.webhook, name="jira-webhook"),
]
