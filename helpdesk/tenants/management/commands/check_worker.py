import time
from argparse import ArgumentParser
from typing import Any

from celery.exceptions import TimeoutError as CeleryTimeout
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from helpdesk.tenants.cli import tenant_from_option
from helpdesk.tenants.tasks import schema_probe


class Command(BaseCommand):
    help = "Send a probe task in a tenant and check that a Celery worker runs it in that tenant's schema."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant schema, e.g. acme")
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the worker")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = tenant_from_option(options["tenant"])
        started = time.perf_counter()
        with tenant_context(tenant):
            result = schema_probe.delay()
        try:
            schema = result.get(timeout=options["timeout"])
        except CeleryTimeout:
            wait = options["timeout"]
            raise CommandError(f"No worker ran the probe within {wait} s; is `celery worker` running?") from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        if schema != tenant.schema_name:
            raise CommandError(f"The probe ran in schema {schema!r}, expected {tenant.schema_name!r}")
        self.stdout.write(self.style.SUCCESS(f"Worker ran the probe in {schema} in {elapsed_ms:.0f} ms"))
