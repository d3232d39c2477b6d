"""Assistants over the API: discover them. Chatting with one is in assistants/surfaces/api.py."""

from __future__ import annotations

from typing import Any

from rest_framework import generics, serializers

from assistants import selectors
from assistants.models import Assistant
from tickets.api import TenantModelPermissions


class AssistantOutput(serializers.ModelSerializer[Assistant]):
    """What an external system needs to pick an assistant and chat with it; no policy, keys or adapters."""

    request_types: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name", help_text="The kinds of request it tells apart."
    )

    chat_model = serializers.CharField(
        read_only=True,
        help_text="The model it answers with: smollm2-135m or qwen2.5-1.5b (llama.cpp; by default English answers "
        "with SmolLM2, other languages with Qwen), an Ollama model name, or empty for the server's model.",
    )

    class Meta:
        model = Assistant
        fields = [
            "id",
            "name",
            "is_default",
            "language",
            "tone",
            "chat_model",
            "request_types",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AssistantList(generics.ListAPIView[Assistant]):
    """The tenant's assistants (the default one first); chat with one at `/api/v1/assistants/{id}/chat`."""

    serializer_class = AssistantOutput
    permission_classes = [TenantModelPermissions]
    queryset = Assistant.objects.none()  # for the permission class; get_queryset answers

    def get_queryset(self) -> Any:
        return selectors.assistant_list().prefetch_related("request_types").order_by("-is_default", "name", "pk")


class AssistantDetail(generics.RetrieveAPIView[Assistant]):
    """One assistant of the tenant (404 for another tenant's id)."""

    serializer_class = AssistantOutput
    permission_classes = [TenantModelPermissions]
    queryset = Assistant.objects.none()

    def get_object(self) -> Assistant:
        assistant = selectors.assistant_get(self.kwargs["pk"])
        self.check_object_permissions(self.request, assistant)
        return assistant
