"""Typed requests for views: what the middleware stack puts on a request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from helpdesk.accounts.models import User
    from helpdesk.tenants.models import Tenant


class AuthenticatedHttpRequest(HttpRequest):
    user: User
    tenant: Tenant
    htmx: HtmxDetails
