from argparse import ArgumentParser
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context, tenant_context

from helpdesk.accounts.models import User
from helpdesk.accounts.services import user_create_or_update
from helpdesk.i18n import language_supported
from helpdesk.tenants.models import Tenant
from helpdesk.tenants.services import public_tenant_ensure, tenant_create

# schema, name, language, and the full names of its agent and manager
DEMO_TENANTS = [
    ("acme", "Acme Corporation", "en", ("Alice Agent", "Mark Manager")),
    ("globex", "Globex Corporation", "en", ("Alice Agent", "Mark Manager")),
    ("romashka", "Ромашка", "ru", ("Алина Орлова", "Михаил Лебедев")),
]
PLATFORM_ADMIN = "platform@helpdesk.test"


class Command(BaseCommand):
    help = (
        "Create the demo: tenants acme (acme.localhost), globex (globex.localhost) and the Russian-speaking "
        "romashka (romashka.localhost), an agent and a "
        "manager in each, a platform admin, and each app's sample data (an app's `demo.seed(tenant=...)`). "
        "Safe to run again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port printed in the URLs")

    def handle(self, *args: Any, **options: Any) -> None:
        password = settings.DEMO_PASSWORD
        public_tenant_ensure()
        with schema_context(settings.PUBLIC_SCHEMA_NAME):
            if not User.objects.filter(email=PLATFORM_ADMIN).exists():
                User.objects.create_superuser(PLATFORM_ADMIN, password, full_name="Platform Admin")
        lines = []
        for schema, name, language, full_names in DEMO_TENANTS:
            tenant = seed_tenant(schema, name, language, full_names, password=password)
            lines.append(f"  {name}: http://{tenant.domains.first()}:{options['port']}/")
            lines.append(f"    agent@{schema}.test / manager@{schema}.test  password: {password}")
        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self.stdout.write("\n".join(lines))
        self.stdout.write(f"  Platform admin: http://localhost:{options['port']}/admin/  {PLATFORM_ADMIN} / {password}")


def seed_tenant(schema: str, name: str, language: str, full_names: tuple[str, str], *, password: str) -> Tenant:
    """One demo tenant in its language: an agent and a manager, then each app's sample data (an app's
    ``demo.seed(tenant=...)``)."""
    tenant = tenant_create(schema_name=schema, name=name, language=language).tenant
    with tenant_context(tenant):
        for role, full_name in zip(("agent", "manager"), full_names, strict=True):
            email = f"{role}@{schema}.test"
            # Keep a password that someone changed on purpose; set the demo one on first run.
            fresh = not User.objects.filter(email=email).exists()
            user_create_or_update(
                email=email,
                role=role,
                password=password if fresh else None,
                full_name=full_name,
                language=language_supported(language) or "",  # the Romashka team reads the pages in Russian
            )
        for app_config in apps.get_app_configs():
            if find_spec(f"{app_config.name}.demo") is not None:
                import_module(f"{app_config.name}.demo").seed(tenant=tenant)
    return tenant
