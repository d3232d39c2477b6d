"""API endpoints of assistants, mounted under /api/v1/."""

from django.urls import path

from assistants import api
from assistants.surfaces import api as chat_api

urlpatterns = [
    path("assistants/", api.AssistantList.as_view(), name="assistant-list"),
    path("assistants/<int:pk>/", api.AssistantDetail.as_view(), name="assistant-detail"),
    path("assistants/<int:pk>/chat", chat_api.AssistantChatView.as_view(), name="assistant-chat"),
    path("assistants/<int:pk>/chat/stream", chat_api.AssistantChatStreamView.as_view(), name="assistant-chat-stream"),
    path("tickets/<int:number>/answer", chat_api.TicketAnswerView.as_view(), name="ticket-answer"),
]
