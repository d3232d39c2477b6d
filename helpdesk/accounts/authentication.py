"""DRF authentication with ``Authorization: Api-Key <key>``, valid only in its own tenant."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from helpdesk.accounts.models import ApiKey
from helpdesk.accounts.services import api_key_authenticate

KEYWORD = "Api-Key"


class ApiClient:
    """The principal behind an API key: an external system with tenant-wide API access."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key

    def __str__(self) -> str:
        return f"api-key:{self.api_key.name}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiClient, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != KEYWORD.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Use the header `Authorization: %(keyword)s <key>`.") % {"keyword": KEYWORD}
            )
        api_key = api_key_authenticate(header[1])
        if api_key is None:
            # Same answer for unknown, revoked and other-tenant keys: nothing to probe.
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key for this tenant."))
        return ApiClient(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "helpdesk.accounts.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"`{KEYWORD} <key>`; create keys in the admin or with `manage.py create_api_key`.",
        }
