"""DRF permissions that ask of a signed-in user what the pages ask; an API key acts for its whole tenant."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from helpdesk.accounts.authentication import ApiClient


def requires(*perms: str) -> type[BasePermission]:
    """A permission class: API keys pass, users need every one of ``perms`` (as the matching page does)."""

    class Requires(BasePermission):
        message = gettext_lazy("Your role does not allow this.")

        def has_permission(self, request: Request, view: APIView) -> bool:
            if isinstance(request.user, ApiClient):
                return True
            return bool(request.user and request.user.is_authenticated and request.user.has_perms(perms))

    Requires.__name__ = Requires.__qualname__ = f"Requires({', '.join(perms)})"
    return Requires
