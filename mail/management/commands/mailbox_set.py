"""``manage.py mailbox_set --tenant T --address A …``: create or change a tenant's mailbox (idempotent by address)."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from helpdesk.tenants.cli import tenant_from_option
from mail.models import Mailbox, Security
from mail.services import mailbox_save, mailbox_test

# Option → field; options left out keep the stored values.
FIELDS = {
    "name": "name",
    "from_name": "from_name",
    "imap_host": "imap_host",
    "imap_port": "imap_port",
    "security": "imap_security",
    "imap_user": "imap_username",
    "folder": "imap_folder",
    "processed_folder": "imap_processed_folder",
}


class Command(BaseCommand):
    help = (
        "Create or change a tenant's support mailbox, found by its address. The IMAP password is stored "
        "encrypted and never printed: give it with --password-env NAME. --test signs in afterwards."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant schema, e.g. acme")
        parser.add_argument("--address", required=True, help="the support address, e.g. support@acme.example")
        parser.add_argument("--name", help="shown on the mailboxes page")
        parser.add_argument("--from-name", help="sender name of the mail sent from this address")
        parser.add_argument("--imap-host", help="IMAP server; empty: mail arrives by webhook or SMTP only")
        parser.add_argument("--imap-port", type=int, help="993 for SSL/TLS, 143 for STARTTLS")
        parser.add_argument("--security", choices=Security.values, help="ssl, starttls or none")
        parser.add_argument("--imap-user", help="IMAP user name")
        parser.add_argument("--password-env", default="", help="environment variable that holds the IMAP password")
        parser.add_argument("--folder", help="folder to read (default INBOX)")
        parser.add_argument("--processed-folder", help="folder processed mail moves to ('' marks it read instead)")
        parser.add_argument("--disable", action="store_true", help="stop reading this mailbox")
        parser.add_argument("--enable", action="store_true", help="read it again")
        parser.add_argument("--test", action="store_true", help="sign in with the stored password and report")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = tenant_from_option(options["tenant"])
        password = ""
        if options["password_env"]:
            password = os.environ.get(options["password_env"], "")
            if not password:
                raise CommandError(f"The variable {options['password_env']} is empty or unset.")
        address = options["address"].strip().lower()
        with tenant_context(tenant):
            mailbox = Mailbox.objects.filter(address=address).first() or Mailbox(address=address, name=address)
            created = mailbox.pk is None
            for option, field in FIELDS.items():
                if options.get(option) is not None:
                    setattr(mailbox, field, options[option])
            if options["disable"]:
                mailbox.enabled = False
            if options["enable"]:
                mailbox.enabled = True
            try:
                mailbox = mailbox_save(mailbox=mailbox, password=password)
            except ValidationError as exc:
                raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
            self.stdout.write(
                f"{'Created' if created else 'Updated'} mailbox {mailbox.address} in {tenant.schema_name}"
            )
            if options["test"]:
                ok, result = mailbox_test(mailbox=mailbox)
                if not ok:
                    raise CommandError(result)
                self.stdout.write(result)
