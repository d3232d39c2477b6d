from django.core.management.base import CommandError

from helpdesk.tenants.models import Tenant
from helpdesk.tenants.selectors import tenant_get_by_schema


def tenant_from_option(schema: str) -> Tenant:
    tenant = tenant_get_by_schema(schema)
    if tenant is None:
        raise CommandError(f"No tenant {schema!r}; create it with `manage.py create_tenant {schema}`")
    return tenant
