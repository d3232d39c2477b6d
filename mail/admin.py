"""Mailboxes, the message ledger and bouncing addresses in the admin; a password is set, never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from mail.forms import MailboxForm
from mail.models import BouncedAddress, Mailbox, MailMessage
from mail.services import mailbox_save


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm  # the page's form: the password is set, never shown
    list_display = ["address", "name", "enabled", "imap_host", "last_poll_at", "last_poll_error"]
    readonly_fields = ["last_poll_at", "last_poll_error", "last_test_at", "last_test_ok", "last_test_result"]

    def save_model(self, request: HttpRequest, obj: Mailbox, form: Any, change: bool) -> None:
        mailbox_save(mailbox=obj, password=form.cleaned_data.get("password") or "")


@admin.register(MailMessage)
class MailMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "direction", "status", "sender", "subject", "ticket", "flagged"]
    list_filter = ["direction", "status", "flagged"]
    search_fields = ["sender", "subject", "message_id"]
    readonly_fields = [f.name for f in MailMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(BouncedAddress)
class BouncedAddressAdmin(admin.ModelAdmin):
    list_display = ["email", "created_at", "reason"]
    search_fields = ["email"]
