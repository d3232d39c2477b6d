"""The default connection, typed for django-tenants' additions (schema_name, set_tenant, …)."""

from typing import Any

from django.db import connection as _connection

connection: Any = _connection
