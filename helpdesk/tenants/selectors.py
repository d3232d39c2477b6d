from django.conf import settings

from helpdesk.tenants.db import connection
from helpdesk.tenants.models import Tenant


def tenant_get_by_schema(schema_name: str) -> Tenant | None:
    """A customer tenant by schema name; never the public schema."""
    if schema_name == settings.PUBLIC_SCHEMA_NAME:
        return None
    return Tenant.objects.filter(schema_name=schema_name).first()


def tenant_list() -> list[Tenant]:
    return list(Tenant.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).prefetch_related("domains"))


def current_tenant_language() -> str:
    """The language of the tenant the connection is on; "" on the public schema.

    ``schema_context()`` puts a stand-in tenant without fields on the connection: then the row is read.
    """
    language = getattr(getattr(connection, "tenant", None), "language", None)
    if language:
        return str(language)
    schema = getattr(connection, "schema_name", None)
    if not schema or schema == settings.PUBLIC_SCHEMA_NAME:
        return ""
    return Tenant.objects.filter(schema_name=schema).values_list("language", flat=True).first() or ""
