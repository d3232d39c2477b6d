"""Pages of LoRA adapters, under /assistants/<pk>/adapters/."""

from django.urls import path

from assistants.lora import views

app_name = "lora"

urlpatterns = [
    path("<int:pk>/adapters/", views.adapter_list, name="list"),
    path("<int:pk>/adapters/new/", views.adapter_new, name="new"),
    path("<int:pk>/adapters/rollback/", views.adapter_rollback, name="rollback"),
    path("<int:pk>/adapters/deactivate/", views.adapter_deactivate, name="deactivate"),
    path("<int:pk>/adapters/<int:adapter_id>/", views.adapter_detail, name="detail"),
    path("<int:pk>/adapters/<int:adapter_id>/progress/", views.adapter_progress, name="progress"),
    path("<int:pk>/adapters/<int:adapter_id>/activate/", views.adapter_activate, name="activate"),
    path("<int:pk>/adapters/<int:adapter_id>/cancel/", views.adapter_cancel, name="cancel"),
    path("<int:pk>/adapters/<int:adapter_id>/publish/", views.adapter_publish, name="publish"),
    path("<int:pk>/adapters/<int:adapter_id>/delete/", views.adapter_delete, name="delete"),
]
