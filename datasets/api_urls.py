"""API endpoints of datasets, mounted under /api/v1/datasets/."""

from django.urls import URLPattern, URLResolver, path

from datasets import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("", api.DatasetList.as_view(), name="datasets"),
    path("upload", api.UploadView.as_view(), name="datasets-upload"),
    path("process", api.ProcessView.as_view(), name="datasets-process"),
    path("runs/<int:pk>", api.RunView.as_view(), name="datasets-run"),
    path("runs/<int:pk>/write", api.RunWriteView.as_view(), name="datasets-run-write"),
    path("classify", api.ClassifyView.as_view(), name="datasets-classify"),
    path("stats", api.Stats.as_view(), name="datasets-stats"),
    path("<int:pk>/versions", api.VersionList.as_view(), name="datasets-versions"),
    path("<int:pk>/versions/<str:tag>", api.VersionDetail.as_view(), name="datasets-version"),
    path("<int:pk>/versions/<str:tag>/checkout", api.VersionCheckout.as_view(), name="datasets-checkout"),
    path("<int:pk>/rejected", api.RejectedList.as_view(), name="datasets-rejected"),
    path("<int:pk>/rejected/<int:row>/restore", api.RejectedRestore.as_view(), name="datasets-restore"),
    path("<int:pk>/diff", api.VersionDiff.as_view(), name="datasets-diff"),
    path("<int:pk>/download/<str:split>/<str:tag>", api.Download.as_view(), name="datasets-download"),
]
