from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.accounts.models import ApiKey
from helpdesk.tenants.db import connection


class MeView(APIView):
    """Who the API sees: the tenant and the key (or the signed-in user)."""

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "tenant": serializers.CharField(),
                "key": serializers.CharField(required=False),
                "user": serializers.DictField(required=False),
            },
        )
    )
    def get(self, request: Request) -> Response:
        body: dict[str, object] = {"tenant": connection.schema_name}
        if isinstance(request.auth, ApiKey):
            body["key"] = request.auth.name
        else:
            user = request.user
            body["user"] = {"email": user.email, "role": user.role}  # type: ignore[union-attr]
        return Response(body)
