from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "helpdesk.tenants"
    label = "tenants"
    verbose_name = "Tenants"
