"""Pages of the mail app; the navigation shows the section once `mail:index` exists."""

from django.urls import path

from mail import views

app_name = "mail"

urlpatterns = [
    path("", views.index, name="index"),
    path("mailboxes/new/", views.mailbox_edit, name="mailbox-new"),
    path("mailboxes/<int:pk>/", views.mailbox_edit, name="mailbox"),
    path("mailboxes/<int:pk>/test/", views.mailbox_test, name="mailbox-test"),
    path("messages/<int:pk>/retry/", views.failed_retry, name="retry"),
    path("messages/<int:pk>/ticket/", views.failed_to_ticket, name="to-ticket"),
    path("messages/<int:pk>/html/", views.message_html, name="html"),
    path("tickets/<int:number>/panel/", views.ticket_panel, name="ticket-panel"),
]
