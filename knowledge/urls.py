"""Pages of the knowledge section; the navigation shows the section once its named URL exists."""

from django.urls import URLPattern, URLResolver, path

from knowledge import views

app_name = "knowledge"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("upload/held/", views.held_decide, name="held"),
    path("url/", views.add_url, name="add-url"),
    path("text/", views.add_text, name="add-text"),
    path("search/", views.search, name="search"),
    path("settings/embedding/", views.embedding, name="embedding"),
    path("settings/embedding/switch/", views.embedding_switch, name="embedding-switch"),
    path("settings/embedding/cancel/", views.embedding_cancel, name="embedding-cancel"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("<int:pk>/archive/", views.archive, name="archive"),
    path("<int:pk>/visibility/", views.set_visibility, name="visibility"),
    path("<int:pk>/delete/", views.delete, name="delete"),
]
