"""Demo data of the screenshot reader: help articles about common errors, and a ticket whose customer
sent only a screenshot (read by the worker once ``make run`` is up)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from assistants.vision import samples
from knowledge import services as kb
from knowledge.models import Document
from tickets import services as tickets
from tickets.models import Channel, Ticket

ERROR_ARTICLES: list[dict[str, Any]] = [
    {
        "slug": "card-declined",
        "title": "Card declined at checkout (error 0x80070005)",
        "text": "When checkout shows error 0x80070005 or says the card was declined by the issuer, your bank refused "
        "the payment. Nothing was charged. Ask your bank to allow online payments to Acme, check the card's expiry "
        "date and security code, or pay with another card or PayPal.",
        "tags": ["billing", "payments"],
        "screen": ["Payment failed", "Error 0x80070005: card declined by issuer", "Try another payment method."],
    },
    {
        "slug": "bad-gateway",
        "title": "502 Bad Gateway and 503 errors",
        "text": "A 502 Bad Gateway or 503 Service Unavailable page means our servers could not answer in time, usually "
        "during maintenance or an outage. Your data is safe. Wait a few minutes and reload the page; the status page "
        "shows ongoing incidents.",
        "tags": ["outage"],
        "screen": ["502 Bad Gateway", "The server returned an invalid response.", "Please try again later."],
    },
    {
        "slug": "account-locked",
        "title": "Account locked after failed sign-ins",
        "text": "After five wrong passwords in a row the account is locked for 30 minutes to protect it. The sign-in "
        "page then says the account is temporarily locked. Wait 30 minutes or reset your password with the Forgot "
        "password link to unlock it at once.",
        "tags": ["account"],
        "screen": ["Sign in", "Your account is temporarily locked", "Too many failed sign-in attempts."],
    },
    {
        "slug": "export-failed",
        "title": "Data export fails with ERR_EXPORT_TIMEOUT",
        "text": "Exports of more than 100,000 rows can stop with ERR_EXPORT_TIMEOUT. Export a shorter date range, or "
        "use the API's paginated export, which has no size limit.",
        "tags": ["data"],
        "screen": ["Export failed", "ERR_EXPORT_TIMEOUT", "The export took too long and was stopped."],
    },
]


def seed(*, tenant: Any) -> None:
    """The error articles (indexed by the worker) and one screenshot-only ticket; safe to run again."""
    for article in ERROR_ARTICLES:
        external_id = f"demo:{article['slug']}"
        if not Document.objects.filter(external_id=external_id).exists():
            kb.document_create_from_text(
                title=article["title"], text=article["text"], tags=article["tags"], external_id=external_id
            )
    subject = "Can't pay"
    if Ticket.objects.filter(subject=subject, channel=Channel.PORTAL).exists():
        return
    contact = tickets.contact_ensure(email="lena@example.com", name="Lena Park")
    ticket = tickets.ticket_create(subject=subject, requester=contact, by=contact, channel=Channel.PORTAL)
    image = samples.encode(samples.dialog(ERROR_ARTICLES[0]["screen"], size=(900, 260)))
    tickets.reply_add(
        ticket=ticket,
        body="(screenshot attached)",
        by=contact,
        files=[SimpleUploadedFile("checkout.png", image, content_type="image/png")],
    )
