from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "helpdesk.tenants"
    label = "tenants"
    verbose_name = _("Tenants")

    def ready(self) -> None:
        # reason: tenants.services imports models, which load only once the app registry is ready
        from helpdesk.celery import unsent_keeper_register
        from helpdesk.tenants.services import unsent_task_keep

        # Messages the broker refused with keep=True are stored as UnsentTask rows, sent again by beat.
        unsent_keeper_register(unsent_task_keep)
