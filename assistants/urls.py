"""Pages of the assistants section."""

from django.urls import path

from assistants import playground, views

app_name = "assistants"

urlpatterns = [
    path("", views.assistant_list, name="list"),
    path("new/", views.assistant_create, name="create"),
    path("<int:pk>/", views.assistant_detail, name="detail"),
    path("<int:pk>/edit/", views.assistant_edit, name="edit"),
    path("<int:pk>/default/", views.assistant_make_default, name="make-default"),
    path("<int:pk>/playground/", playground.playground, name="playground"),
    path("<int:pk>/playground/ask/", playground.playground_ask, name="playground-ask"),
    path("<int:pk>/playground/stream/", playground.playground_stream, name="playground-stream"),
]
