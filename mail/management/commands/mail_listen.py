"""``manage.py mail_listen``: the SMTP/LMTP listener; idles while ``MAIL_LISTENER_PORT`` is 0 (off by default),
so the Procfile service can stay listed without stopping its siblings."""

from __future__ import annotations

import signal
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management.base import BaseCommand

from mail.listener import MailHandler, server_factory


class ListenerController(Controller):
    def __init__(self, handler: MailHandler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._mail_handler = handler

    def factory(self) -> Any:
        return server_factory(self._mail_handler)()


class Command(BaseCommand):
    help = "Receive mail over LMTP or SMTP for every tenant's mailboxes (MAIL_LISTENER_PORT; 0 = off)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.MAIL_LISTENER_PORT:
            self.stdout.write("mail listener off (MAIL_LISTENER_PORT=0); idling")
            signal.pause()
            return
        controller = ListenerController(
            MailHandler(), hostname=settings.MAIL_LISTENER_HOST, port=settings.MAIL_LISTENER_PORT
        )
        controller.start()
        self.stdout.write(
            f"{settings.MAIL_LISTENER_PROTOCOL.upper()} listener on "
            f"{settings.MAIL_LISTENER_HOST}:{settings.MAIL_LISTENER_PORT}"
        )
        try:
            signal.pause()
        finally:
            controller.stop()
