from django.conf import settings

from helpdesk.tenants.models import Tenant


def tenant_get_by_schema(schema_name: str) -> Tenant | None:
    """A customer tenant by schema name; never the public schema."""
    if schema_name == settings.PUBLIC_SCHEMA_NAME:
        return None
    return Tenant.objects.filter(schema_name=schema_name).first()


def tenant_list() -> list[Tenant]:
    return list(Tenant.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).prefetch_related("domains"))
