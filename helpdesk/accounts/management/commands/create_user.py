from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from helpdesk.accounts.roles import ROLES
from helpdesk.accounts.services import user_create_or_update
from helpdesk.tenants.cli import tenant_from_option


class Command(BaseCommand):
    help = "Create a user with a role in a tenant; for an existing user, set the role (and password if given)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant schema, e.g. acme")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--password", default=None, help="default: generated and printed once for a new user")
        parser.add_argument("--name", default="", help="full name")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = tenant_from_option(options["tenant"])
        with tenant_context(tenant):
            try:
                result = user_create_or_update(
                    email=options["email"],
                    role=options["role"],
                    password=options["password"],
                    full_name=options["name"],
                )
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
        verb = "Created" if result.created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {result.user.email} as {options['role']} in {tenant.schema_name}")
        )
        if result.password:
            self.stdout.write(f"password: {result.password}")
