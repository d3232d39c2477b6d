import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from helpdesk.tenants.cli import tenant_from_option
from knowledge import services
from knowledge.extract import FORMATS
from knowledge.models import Document


class Command(BaseCommand):
    help = (
        "Import a folder of files (PDF, DOCX, TXT, Markdown, HTML; subfolders too) into a tenant's knowledge "
        "base. Indexes here, with progress, unless --queue hands the work to the Celery workers."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="a folder (or one file)")
        parser.add_argument("--tenant", required=True, help="tenant schema, e.g. acme")
        parser.add_argument("--tags", default="", help="comma-separated tags for every document")
        parser.add_argument("--language", default="", help="language code for every document (default: detect)")
        parser.add_argument("--queue", action="store_true", help="queue indexing on the workers instead")
        parser.add_argument(
            "--visibility",
            choices=["internal", "public"],
            default="internal",
            help="public: the website widget and the portal may answer from them (default: internal, staff only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = tenant_from_option(options["tenant"])
        root = Path(options["path"])
        if not root.exists():
            raise CommandError(f"{root} does not exist")
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        supported = [p for p in files if p.suffix.lower() in FORMATS]
        for skipped in sorted(set(files) - set(supported)):
            self.stdout.write(f"skipped {skipped}: not a supported type")
        tags = [t.strip() for t in options["tags"].split(",") if t.strip()]
        started, chunks, failed = time.perf_counter(), 0, 0
        with tenant_context(tenant):
            for path in supported:
                try:
                    with path.open("rb") as fh:
                        document = services.document_create_from_upload(
                            uploaded=File(fh, name=path.name),  # type: ignore[arg-type]
                            language=options["language"],
                            tags=tags,
                            visibility=options["visibility"],
                            enqueue=options["queue"],
                        )
                except services.UploadRejected as exc:
                    failed += 1
                    self.stdout.write(self.style.ERROR(f"rejected {path}: {exc}"))
                    continue
                if options["queue"]:
                    self.stdout.write(f"queued {path} (document {document.pk})")
                    continue
                document = services.document_index(document_id=document.pk) or document
                if document.status == Document.Status.FAILED:
                    failed += 1
                    self.stdout.write(self.style.ERROR(f"failed {path}: {document.error}"))
                else:
                    chunks += document.chunks_total
                    self.stdout.write(f"indexed {path}: {document.chunks_total} chunks")
        elapsed = time.perf_counter() - started
        summary = f"{len(supported) - failed} of {len(supported)} files imported, {chunks} chunks, {elapsed:.1f} s"
        self.stdout.write(self.style.SUCCESS(summary) if not failed else self.style.WARNING(summary))
