"""API endpoints of knowledge, mounted under /api/v1/kb/."""

from django.urls import URLPattern, URLResolver, path

from knowledge import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("documents/", api.DocumentListCreate.as_view(), name="kb-documents"),
    path("documents/<int:pk>/", api.DocumentDetail.as_view(), name="kb-document"),
    path("upsert", api.Upsert.as_view(), name="kb-upsert"),
    path("search", api.Search.as_view(), name="kb-search"),
    path("reindex", api.Reindex.as_view(), name="kb-reindex"),
]
