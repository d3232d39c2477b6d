from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from helpdesk.tenants.services import public_tenant_ensure, tenant_create


class Command(BaseCommand):
    help = "Create a tenant (schema, domain, roles); running it again updates the name and adds the domain."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("schema", help="schema name: lowercase letters, digits and _ (e.g. acme)")
        parser.add_argument("--name", default="", help="company name shown in the UI (default: the schema)")
        parser.add_argument("--domain", default=None, help="host name (default: <schema>.<TENANT_BASE_DOMAIN>)")
        parser.add_argument(
            "--language",
            default=None,
            choices=[code for code, _ in settings.TENANT_LANGUAGES],
            help="the language customers write in (default en); a new tenant's embedding model follows it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        public_tenant_ensure()
        try:
            result = tenant_create(
                schema_name=options["schema"],
                name=options["name"],
                domain=options["domain"],
                language=options["language"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        tenant = result.tenant
        domains = ", ".join(d.domain for d in tenant.domains.all())
        verb = "Created" if result.created else "Already exists:"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} tenant {tenant.schema_name} ({tenant.name}) at {domains}; "
                f"language {tenant.language}, embedding model {tenant.embedding_model}"
            )
        )
