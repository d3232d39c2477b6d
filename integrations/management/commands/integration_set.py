import os
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from helpdesk.tenants.cli import tenant_from_option
from integrations import services
from integrations.registry import system as system_spec
from integrations.registry import systems
from integrations.selectors import connection_get
from tickets.models import Status

# The option that sets each field the service names in its errors (plus each system's own options).
OPTIONS = {
    "base_url": "--url",
    "username": "--email",
    "token": "--token",
    "webhook_secret": "--webhook-secret",
    "resolved_status": "--resolved-status",
    "category_field": "--category-field",
}


class Command(BaseCommand):
    help = (
        "Create or change a tenant's Jira or Zendesk connection (idempotent). Options left out keep their "
        "stored values; the token is stored encrypted and never printed. --test calls the API afterwards."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant schema, e.g. acme")
        subparsers = parser.add_subparsers(dest="system", required=True)
        for spec in systems():
            sub = subparsers.add_parser(spec.key, help=f"the {spec.key} connection")
            sub.add_argument("--url", help="e.g. https://acme.atlassian.net / https://acme.zendesk.com")
            sub.add_argument("--email", help="the account's email address")
            sub.add_argument("--token", default="", help="API token (or --token-env NAME to read it from a variable)")
            sub.add_argument("--token-env", default="", help="environment variable that holds the API token")
            sub.add_argument("--webhook-secret", default="", help="secret the tracker signs its webhooks with")
            sub.add_argument(
                "--resolved-status", choices=Status.values, help="ticket status once the issue is resolved"
            )
            sub.add_argument("--category-field", help="'label', a custom field id, or '' to not send the category")
            sub.add_argument("--disable", action="store_true", help="switch the connection off")
            sub.add_argument("--enable", action="store_true", help="switch it on again")
            sub.add_argument("--test", action="store_true", help="call the API with the stored credentials")
            for option in spec.cli_options:
                sub.add_argument(option.flag, dest=option.field, type=option.type, help=option.help)

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = tenant_from_option(options["tenant"])
        system = options["system"]
        token = options["token"] or (os.environ.get(options["token_env"], "") if options["token_env"] else "")
        if options["token_env"] and not token:
            raise CommandError(f"The variable {options['token_env']} is empty or unset.")
        spec = system_spec(system)
        flags = {**OPTIONS, **{option.field: option.flag for option in spec.cli_options}}
        with tenant_context(tenant):
            existing = connection_get(system=system)
            kwargs: dict[str, Any] = {
                "system": system,
                "base_url": options["url"] or (existing.base_url if existing else ""),
                "username": options["email"] or (existing.username if existing else ""),
                "token": token,
                "webhook_secret": options["webhook_secret"],
            }
            optional = {
                "resolved_status": options.get("resolved_status"),
                "category_field": options.get("category_field"),
                **{option.field: options.get(option.field) for option in spec.cli_options},
            }
            kwargs.update({k: v for k, v in optional.items() if v is not None})
            if options["disable"] or options["enable"]:
                kwargs["enabled"] = bool(options["enable"])
            try:
                conn = services.connection_save(**kwargs)
            except ValidationError as exc:
                raise CommandError(
                    "; ".join(f"{flags.get(k, k)}: {' '.join(v)}" for k, v in exc.message_dict.items())
                ) from None
            self.stdout.write(
                f"{'Changed' if existing else 'Created'} the {conn.get_system_display()} connection "
                f"of {tenant.schema_name}: {conn.base_url}"
            )
            if options["test"]:
                result = services.connection_test(connection=conn)
                if not result.ok:
                    raise CommandError(f"Test failed: {result.message}")
                self.stdout.write(f"Test: {result.message}")
