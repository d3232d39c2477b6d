"""Pages of the datasets section; the navigation shows the section once its named URL exists."""

from django.urls import URLPattern, URLResolver, path

from datasets import views

app_name = "datasets"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("export/", views.export, name="export"),
    path("uploads/<int:pk>/", views.mapping, name="mapping"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/write/", views.run_write, name="run-write"),
    path("runs/<int:pk>/restart/", views.run_restart, name="run-restart"),
    path("runs/<int:pk>/review/", views.review_queue, name="review"),
    path("runs/<int:pk>/review/undo/", views.review_undo, name="review-undo"),
    path("runs/<int:pk>/review/bulk/", views.review_bulk, name="review-bulk"),
    path("runs/<int:pk>/review/<int:row>/", views.review_decide, name="review-decide"),
    path("<int:pk>/", views.dataset_detail, name="dataset"),
    path("<int:pk>/rejected/", views.rejected_rows, name="rejected"),
    path("<int:pk>/rejected/<int:row>/restore/", views.rejected_restore, name="restore"),
    path("<int:pk>/rollback/", views.dataset_rollback, name="rollback"),
    path("<int:pk>/diff/", views.version_diff, name="diff"),
    path("<int:pk>/versions/<str:tag>/", views.version_detail, name="version"),
    path("<int:pk>/versions/<str:tag>/checkout/", views.version_checkout, name="checkout"),
    path("<int:pk>/versions/<str:tag>/retrain/", views.version_retrain, name="retrain"),
    path(
        "<int:pk>/versions/<str:tag>/download/<str:split>.<str:kind>",
        views.version_download,
        name="download",
    ),
]
