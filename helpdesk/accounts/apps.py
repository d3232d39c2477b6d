from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "helpdesk.accounts"
    label = "accounts"
    verbose_name = _("Users and API keys")
    # Codenames of this app's permissions per role; the admin role gets every permission.
    role_permissions = {
        "agent": ["view_user"],
        "manager": ["view_user", "add_user", "change_user", "view_apikey", "add_apikey", "change_apikey"],
    }

    def ready(self) -> None:
        # AppConfig.ready(): the checks and the roles module read models, loadable only once the registry is ready.
        from helpdesk import checks  # noqa: F401 (registers the deployment checks: lockouts count per address)
        from helpdesk.accounts.roles import sync_all_roles, sync_role_permissions_after_migrate
        from helpdesk.tenants.services import tenant_setup_register

        post_migrate.connect(sync_role_permissions_after_migrate, dispatch_uid="accounts_sync_roles")
        # Every tenant that tenant_create ensures gets the role groups with their permissions.
        tenant_setup_register(sync_all_roles)
