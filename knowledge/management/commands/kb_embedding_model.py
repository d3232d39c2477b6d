import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from helpdesk.ai import MODELS
from helpdesk.tenants.cli import tenant_from_option
from knowledge import services
from knowledge.models import EmbeddingSwitch


class Command(BaseCommand):
    help = (
        "Switch a tenant's knowledge base to another embedding model: every chunk is re-embedded while "
        "search keeps using the current vectors, then the new ones are swapped in at once."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("model", choices=sorted(MODELS), help="the embedding model to switch to")
        parser.add_argument("--tenant", required=True, help="tenant schema, e.g. acme")
        parser.add_argument(
            "--wait",
            action="store_true",
            help="re-embed here and print the progress until the switch ends (default: queue it for the worker)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = tenant_from_option(options["tenant"])
        with tenant_context(tenant):
            try:
                switch = services.embedding_switch_start(model=options["model"])
            except services.SwitchError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(
                f"Switching {tenant.schema_name} from {switch.source_model} to {switch.target_model}: "
                f"{switch.total} chunks to re-embed."
            )
            if not options["wait"]:
                self.stdout.write("Queued for the worker; follow it on the knowledge settings page.")
                return
            started = time.perf_counter()
            try:
                finished = services.embedding_switch_run(switch_id=switch.pk, on_batch=self._progress)
            except Exception as exc:
                raise CommandError(f"The switch failed; {switch.source_model} stays in use ({exc}).") from exc
            elapsed = time.perf_counter() - started
        if finished is None or finished.status != EmbeddingSwitch.Status.DONE:
            status = finished.status if finished is not None else "gone"
            raise CommandError(f"The switch ended {status}; {switch.source_model} stays in use.")
        self.stdout.write(
            self.style.SUCCESS(
                f"{tenant.schema_name} now searches with {finished.target_model}: {finished.total} chunks "
                f"re-embedded in {elapsed:.1f} s"
            )
        )

    def _progress(self, switch: EmbeddingSwitch) -> None:
        self.stdout.write(f"  {switch.done}/{switch.total} chunks ({switch.progress_percent}%)")
