"""Pages of the tickets section; the navigation shows the section once its named URL exists."""

from django.urls import URLPattern, URLResolver, path

from tickets import collaboration, views

app_name = "tickets"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_create, name="create"),
    path("bulk/", views.ticket_bulk, name="bulk"),
    path("<int:number>/", views.ticket_detail, name="detail"),
    path("<int:number>/update/", views.ticket_update, name="update"),
    path("<int:number>/reply/", views.ticket_reply, name="reply"),
    path("<int:number>/attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("<int:number>/follow/", collaboration.follow, name="follow"),
    path("<int:number>/cc/", collaboration.cc, name="cc"),
    path("<int:number>/merge/", collaboration.merge, name="merge"),
    path("<int:number>/presence/", collaboration.presence, name="presence"),
    path("<int:number>/portal-links/revoke/", views.ticket_portal_links_revoke, name="portal-links-revoke"),
]
