from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from helpdesk.accounts.selectors import api_key_get_active_by_name
from helpdesk.accounts.services import api_key_issue, api_key_rotate
from helpdesk.tenants.cli import tenant_from_option


class Command(BaseCommand):
    help = (
        "Issue an API key in a tenant and print it once. If an active key with that name exists, "
        "nothing changes unless --rotate is given (revokes it and issues a new one)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant schema, e.g. acme")
        parser.add_argument("--name", required=True, help="what the key is for, e.g. jira-sync")
        parser.add_argument("--rotate", action="store_true", help="revoke the active key of that name first")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = tenant_from_option(options["tenant"])
        with tenant_context(tenant):
            existing = api_key_get_active_by_name(options["name"])
            if existing is not None and not options["rotate"]:
                self.stderr.write(
                    f"An active key {existing.name!r} (prefix {existing.prefix}) already exists in "
                    f"{tenant.schema_name}; its secret was shown when it was issued. Use --rotate to replace it."
                )
                return
            try:
                if existing is not None:
                    issued = api_key_rotate(api_key=existing)
                else:
                    issued = api_key_issue(name=options["name"])
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
        self.stderr.write(f"Issued key {issued.api_key.name!r} in {tenant.schema_name}; it is shown only once:")
        self.stdout.write(issued.raw_key)
