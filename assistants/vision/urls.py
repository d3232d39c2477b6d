"""Pages of the screenshot reader, mounted under /vision/."""

from django.urls import path

from assistants.vision import views

app_name = "vision"

urlpatterns = [
    path("labels/", views.label_list, name="labels"),
    path("labels/<int:pk>/", views.label_edit, name="label-edit"),
    path("labels/<int:pk>/delete/", views.label_delete, name="label-delete"),
    path("tickets/<int:number>/attachments/<int:pk>/", views.attachment_result, name="attachment"),
    path("tickets/<int:number>/attachments/<int:pk>/thumbnail/", views.thumbnail, name="thumbnail"),
    path("tickets/<int:number>/attachments/<int:pk>/apply/", views.apply_category, name="apply"),
    path("tickets/<int:number>/attachments/<int:pk>/teach/", views.teach_label, name="teach"),
]
