"""API endpoints of the screenshot reader, mounted under /api/v1/."""

from django.urls import path

from assistants.vision import api

urlpatterns = [
    path("vision/classify", api.VisionClassifyView.as_view(), name="vision-classify"),
]
