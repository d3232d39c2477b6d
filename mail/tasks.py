"""Thin tasks of the mail app: ids in, a service called, exit if the row is gone."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import tenant_context

from helpdesk.celery import send_on_commit
from helpdesk.tenants.selectors import tenant_list
from mail.models import Mailbox
from mail.services import mailbox_poll


@shared_task(name="mail.poll_all_tenants")
def poll_all_tenants() -> dict[str, int]:
    """Beat, every MAIL_POLL_SECONDS: one poll task per IMAP mailbox of every tenant."""
    queued = {}
    for tenant in tenant_list():
        with tenant_context(tenant):
            ids = [box.pk for box in Mailbox.objects.filter(enabled=True) if box.polls]
            for pk in ids:
                send_on_commit("mail.poll_mailbox", mailbox_id=pk)
        queued[tenant.schema_name] = len(ids)
    return queued


@shared_task(name="mail.poll_mailbox")
def poll_mailbox(*, mailbox_id: int) -> int:
    """Read one mailbox over IMAP; the number of messages taken."""
    box = Mailbox.objects.filter(pk=mailbox_id).first()
    if box is None or not box.polls:
        return 0
    return mailbox_poll(mailbox=box).fetched
