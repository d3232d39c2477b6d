from django.urls import path

from integrations.events import views

urlpatterns = [
    path("", views.endpoint_list, name="webhooks"),
    path("<int:pk>/", views.endpoint_detail, name="webhook"),
    path("<int:pk>/delete/", views.endpoint_delete, name="webhook-delete"),
    path("deliveries/<int:pk>/redeliver/", views.redeliver, name="webhook-redeliver"),
]
