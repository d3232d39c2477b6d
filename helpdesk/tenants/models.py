from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Tenant(TenantMixin):
    """A customer company; its data lives in the PostgreSQL schema ``schema_name``."""

    name: "models.CharField[str, str]" = models.CharField(max_length=200)
    created_at: "models.DateTimeField[object, object]" = models.DateTimeField(auto_now_add=True)

    auto_create_schema = True

    class Meta:
        ordering = ["schema_name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"


class Domain(DomainMixin):
    """A host name that resolves to a tenant, such as ``acme.localhost``."""

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
