"""Provider inbound webhooks (django-anymail): a message anymail accepted (basic auth, the provider's signature)
is ingested on the tenant of the host it was posted to. It commits before the provider gets its 200, so a
failure makes the provider send it again and nothing is lost; the ledger makes the repeat harmless."""

from __future__ import annotations

from typing import Any

from anymail.signals import AnymailInboundEvent

from mail.services import mail_ingest


def inbound_received(sender: object, event: AnymailInboundEvent, esp_name: str, **kwargs: Any) -> None:
    if event.message is None:
        return
    mail_ingest(raw=event.message.as_bytes())
