"""The public customer portal of a tenant (no login), mounted at /portal/."""

from django.urls import URLPattern, URLResolver, path

from tickets import portal

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", portal.request_new, name="new"),
    path("t/<str:token>/", portal.status, name="status"),
    path("t/<str:token>/reply/", portal.reply, name="reply"),
    path("t/<str:token>/rate/", portal.rate, name="rate"),
    path("t/<str:token>/attachments/<int:pk>/", portal.attachment_download, name="attachment"),
    path("confirm/<str:token>/", portal.confirm, name="confirm"),
]
