from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

from helpdesk.tenants.db import connection
from helpdesk.tenants.selectors import tenant_get_by_schema

API_PREFIX = "/api/"
TENANT_HEADER = "X-Tenant"


def tenant_not_found(request: HttpRequest, detail: str) -> HttpResponse:
    """404 for an unknown tenant: JSON for API clients, a page for people."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": detail}, status=404)
    return render(request, "tenants/not_found.html", {"detail": detail}, status=404)


class TenantMiddleware(TenantMainMiddleware):
    """Resolves the tenant by host; on /api/ paths an ``X-Tenant: <schema>`` header wins."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        schema = request.headers.get(TENANT_HEADER) if request.path.startswith(API_PREFIX) else None
        if not schema:
            return super().process_request(request)
        connection.set_schema_to_public()
        tenant = tenant_get_by_schema(schema.strip())
        if tenant is None:
            return tenant_not_found(request, f"Unknown tenant {schema.strip()!r} in the {TENANT_HEADER} header.")
        tenant.domain_url = self.hostname_from_request(request)
        request.tenant = tenant  # type: ignore[attr-defined]
        connection.set_tenant(tenant)
        self.setup_url_routing(request)
        return None

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:
        return tenant_not_found(request, f"No helpdesk is configured for {hostname!r}.")


def is_public(request: HttpRequest) -> bool:
    tenant = getattr(request, "tenant", None)
    return tenant is None or tenant.schema_name == settings.PUBLIC_SCHEMA_NAME
