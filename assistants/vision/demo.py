"""Demo data of the screenshot reader: help articles about common errors, and a ticket whose customer
sent only a screenshot (read by the worker once ``make run`` is up), in the tenant's language."""

from __future__ import annotations

from dataclasses import dataclass
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


RU_ERROR_ARTICLES: list[dict[str, Any]] = [
    {
        "slug": "karta-otklonena",
        "title": "Карта отклонена при оплате (ошибка 0x80070005)",
        "text": "Если при оплате появляется ошибка 0x80070005 или сообщение «Карта отклонена банком-эмитентом», "
        "банк отказал в платеже. Деньги не списаны. Позвоните в банк и разрешите онлайн-платежи, проверьте срок "
        "действия карты и код CVC или оплатите через Систему быстрых платежей.",
        "tags": ["оплата"],
        "screen": [
            "Оплата не прошла",
            "Ошибка 0x80070005: карта отклонена банком-эмитентом",
            "Попробуйте другой способ оплаты.",
        ],
    },
    {
        "slug": "oshibka-502",
        "title": "Ошибки 502 Bad Gateway и 503 в личном кабинете",
        "text": "Страница с ошибкой 502 Bad Gateway или 503 Service Unavailable значит, что наши серверы не успели "
        "ответить: обычно это плановые работы или авария. Ваши данные в безопасности. Подождите несколько минут и "
        "обновите страницу; о текущих работах сообщаем на status.romashka.example.",
        "tags": ["авария"],
        "screen": ["502 Bad Gateway", "Сервер вернул неверный ответ.", "Повторите попытку позже."],
    },
    {
        "slug": "vhod-zablokirovan",
        "title": "Вход временно заблокирован",
        "text": "После пяти неверных паролей подряд вход в личный кабинет блокируется на 15 минут, и страница входа "
        "пишет, что учётная запись временно заблокирована. Подождите 15 минут или восстановите пароль по ссылке "
        "«Забыли пароль?» — блокировка снимется сразу.",
        "tags": ["личный кабинет"],
        "screen": ["Вход", "Учётная запись временно заблокирована", "Слишком много неудачных попыток входа."],
    },
]


@dataclass(frozen=True)
class Screens:
    """Error articles in one language and the screenshot-only ticket a customer files about the first one."""

    articles: list[dict[str, Any]]
    subject: str
    body: str
    contact: tuple[str, str]
    filename: str


SCREENS = {
    "en": Screens(
        ERROR_ARTICLES, "Can't pay", "(screenshot attached)", ("lena@example.com", "Lena Park"), "checkout.png"
    ),
    "ru": Screens(
        RU_ERROR_ARTICLES,
        "Не получается оплатить",
        "(снимок экрана во вложении)",
        ("elena.popova@mail.example", "Елена Попова"),
        "oplata.png",
    ),
}


def seed(*, tenant: Any) -> None:
    """The error articles in the tenant's language (indexed by the worker) and one screenshot-only ticket; safe
    to run again."""
    screens = SCREENS.get(tenant.language, SCREENS["en"])
    for article in screens.articles:
        external_id = f"demo:{article['slug']}"
        if not Document.objects.filter(external_id=external_id).exists():
            kb.document_create_from_text(
                title=article["title"],
                text=article["text"],
                tags=article["tags"],
                external_id=external_id,
                language=tenant.language,
            )
    if Ticket.objects.filter(subject=screens.subject, channel=Channel.PORTAL).exists():
        return
    email, name = screens.contact
    contact = tickets.contact_ensure(email=email, name=name)
    ticket = tickets.ticket_create(subject=screens.subject, requester=contact, by=contact, channel=Channel.PORTAL)
    image = samples.encode(samples.dialog(screens.articles[0]["screen"], size=(900, 260)))
    tickets.reply_add(
        ticket=ticket,
        body=screens.body,
        by=contact,
        files=[SimpleUploadedFile(screens.filename, image, content_type="image/png")],
    )
