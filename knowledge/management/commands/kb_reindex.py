import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from helpdesk.tenants.cli import tenant_from_option
from knowledge import services


class Command(BaseCommand):
    help = "Re-embed every chunk of a tenant with its active embedding model and refresh the full-text vectors."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant schema, e.g. acme")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = tenant_from_option(options["tenant"])
        started = time.perf_counter()
        with tenant_context(tenant):
            try:
                count = services.chunks_reembed()
            except services.SwitchError as exc:
                raise CommandError(str(exc)) from None
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Re-embedded {count} chunks of {tenant.schema_name} in {elapsed:.1f} s"))
