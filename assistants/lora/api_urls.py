"""API of LoRA adapters, mounted under /api/v1/ (next to the assistants' chat endpoints)."""

from django.urls import path

from assistants.lora import api

ADAPTER = "assistants/<int:pk>/adapters/<int:adapter_id>"

urlpatterns = [
    path("assistants/<int:pk>/adapters", api.AdapterListCreate.as_view(), name="adapter-list"),
    path("assistants/<int:pk>/adapters/", api.AdapterListCreateSlash.as_view()),
    path("assistants/<int:pk>/adapters/rollback", api.AdapterRollback.as_view(), name="adapter-rollback"),
    path(f"{ADAPTER}/", api.AdapterDetail.as_view(), name="adapter-detail"),
    path(f"{ADAPTER}/activate", api.AdapterActivate.as_view(), name="adapter-activate"),
    path(f"{ADAPTER}/cancel", api.AdapterCancel.as_view(), name="adapter-cancel"),
    path(f"{ADAPTER}/publish", api.AdapterPublish.as_view(), name="adapter-publish"),
]
