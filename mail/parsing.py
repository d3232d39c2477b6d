"""Reading a raw message: addresses, threading headers, text (HTML turned into text), the newest part of
a reply (quotes and signatures cut), files and inline images, and what kind of mail it is.

Pure functions of the bytes: no database. ``MailUnreadable`` says why a message cannot be read.
"""

from __future__ import annotations

import email
import email.errors
import email.header
import email.policy
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

import html2text
import nh3
from django.utils.translation import gettext as _
from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES

# mail-parser-reply ships no Russian: its quote headers are added to the library's table of languages.
# Gmail «пн, 7 дек. 2026 г. в 10:00, Имя <a@b>:», Thunderbird/Apple «… пишет:» / «… написал(а):»,
# Outlook's «От: … Отправлено: … Кому: … Тема: …».
MAIL_LANGUAGES.setdefault(
    "ru",
    {
        "wrote_header": r"^((?:>\s*)*.{0,200}?(?:пишет|написал|написала|написал\(а\))\s?:|"
        r"(?:>\s*)*(?:пн|вт|ср|чт|пт|сб|вс),\s.{0,120}?\d{4}\s?г\.\s?в\s\d{1,2}:\d{2}.{0,120}?:)$",
        "from_header": r"((?:(?:^|\n|\n(?:>\s*)*)[* ]*(?:От|Отправлено|Кому|Тема|Дата|Копия|Организация):[ *]*"
        r"(?:\s{,2}).*){2,}(?:\n.*){,1})",
        "disclaimers": [r"Конфиденциально:", r"Внимание:"],
        "signatures": ["С уважением", "С наилучшими пожеланиями", "Всего доброго", "Спасибо,"],
        "sent_from": "Отправлено с (?:моего )?(?:iPhone|iPad|Android|телефона)|Отправлено из",
    },
)
REPLY_LANGUAGES = ["ru", "en", "de", "fr", "es"]
MAX_SUBJECT = 200
SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv|wg|ответ|отв|пересл)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
AUTO_PRECEDENCE = {"bulk", "junk", "list"}


class MailUnreadable(ValueError):
    """The message cannot be turned into a ticket; ``str()`` is the reason shown on the failed-mail list."""


@dataclass(frozen=True)
class MailFile:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""


@dataclass
class ParsedMail:
    message_id: str
    dedup_key: str
    sender: str
    sender_name: str
    to: list[str]
    cc: list[str]
    delivered_to: list[str]
    subject: str
    in_reply_to: list[str]
    references: list[str]
    text: str  # the whole message as text
    newest: str  # the newest part of the conversation: quotes and signature cut
    html: str
    files: list[MailFile] = field(default_factory=list)
    date: datetime | None = None
    auto_reply: bool = False
    spam: bool = False
    bounce_recipients: list[str] = field(default_factory=list)
    is_bounce: bool = False

    @property
    def recipients(self) -> list[str]:
        return list(dict.fromkeys([*self.delivered_to, *self.to, *self.cc]))


def _ids(value: str) -> list[str]:
    return re.findall(r"<([^<>\s]+)>", value or "")


def decode_words(value: str) -> str:
    """RFC 2047 encoded words (``=?windows-1251?B?…?=``) as text; the value itself when they cannot be read."""
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (LookupError, UnicodeDecodeError, email.errors.HeaderParseError, ValueError):
        return value


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser could not even hold as text
        return ""
    return "" if value is None else str(value)


def _addresses(message: Message, *names: str) -> list[tuple[str, str]]:
    values = []
    for name in names:
        try:
            values += [str(v) for v in message.get_all(name, [])]
        except Exception:  # noqa: S112 - a malformed address header counts as empty
            continue
    found = []
    for display, address in getaddresses(values):
        address = address.strip().lower()
        if "@" in address and " " not in address:
            found.append((decode_words(display).strip(), address))
    return found


def _decode(part: Message) -> str:
    """A text part's content in its declared charset (KOI8-R, windows-1251, ISO-2022-JP…), never an exception."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(payload or "")
    charset = part.get_content_charset() or "utf-8"
    for name in (charset, "utf-8", "windows-1251", "latin-1"):
        try:
            return payload.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


def html_to_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = False
    return converter.handle(html).strip()


def html_sandboxed(html: str) -> str:
    """The message's HTML safe to show in a sandboxed frame: no scripts, no remote images or styles."""

    def attribute(element: str, name: str, value: str) -> str | None:
        if element == "img" and name == "src":
            return value if value.startswith(("cid:", "data:image/")) else None
        return value

    return nh3.clean(html, attribute_filter=attribute, url_schemes={"http", "https", "mailto", "cid", "data"})


def cut_reply(text: str) -> str:
    """The newest part of a message: quoted history and signature cut (the whole text when nothing is left)."""
    try:
        replies = EmailReplyParser(languages=REPLY_LANGUAGES).read(text).replies
    except re.error:
        replies = []
    newest = replies[0].body if replies else ""
    lines = newest.strip().splitlines()
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()  # a quote at the end with no header line above it (some clients, forwarded replies)
    return "\n".join(lines).strip() or text.strip()


def clean_subject(subject: str) -> str:
    return " ".join(SUBJECT_PREFIX.sub("", subject or "").split())[:MAX_SUBJECT]


def _is_auto(message: Message) -> bool:
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if any(_header(message, name) for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")):
        return True
    return _header(message, "Precedence").strip().lower() in AUTO_PRECEDENCE


def _bounce_recipients(message: Message) -> list[str]:
    """The addresses a delivery status report (RFC 3464) says failed for good."""
    if message.get_content_type() != "multipart/report":
        return []
    failed = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, Message):
                continue
            action = str(block.get("Action", "")).strip().lower()
            recipient = str(block.get("Final-Recipient", "") or block.get("Original-Recipient", ""))
            address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
            if action == "failed" and "@" in address:
                failed.append(address)
    return failed


def _filename(part: Message, index: int) -> str:
    name = decode_words(part.get_filename() or "")
    name = name.replace("/", "_").replace("\\", "_").strip()
    if not name:
        extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
        name = f"inline-{index}{extension}"
    return name[:200]


def parse(raw: bytes) -> ParsedMail:
    """Read ``raw`` (the bytes of one RFC 5322 message); ``MailUnreadable`` when no sender can be found."""
    if not raw or not raw.strip():
        raise MailUnreadable(_("The message is empty."))
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    senders = _addresses(message, "From") or _addresses(message, "Sender") or _addresses(message, "Return-Path")
    message_id = next(iter(_ids(_header(message, "Message-ID"))), "")[:290]
    dedup_key = f"id:{message_id}" if message_id else f"sha256:{hashlib.sha256(raw).hexdigest()}"
    subject = decode_words(_header(message, "Subject"))
    texts, htmls, files = [], [], []
    bounce = _bounce_recipients(message)
    for index, part in enumerate(message.walk(), start=1):
        if part.is_multipart() or part.get_content_type() in ("message/delivery-status", "message/rfc822"):
            continue
        disposition = (part.get_content_disposition() or "").lower()
        content_type = part.get_content_type()
        content_id = _header(part, "Content-ID").strip().strip("<>")
        if content_type == "text/plain" and disposition != "attachment" and not part.get_filename():
            texts.append(_decode(part))
        elif content_type == "text/html" and disposition != "attachment" and not part.get_filename():
            htmls.append(_decode(part))
        elif disposition == "attachment" or part.get_filename() or content_id or content_type.startswith("image/"):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and data:
                files.append(MailFile(_filename(part, index), content_type, data, content_id))
    html = "\n".join(htmls)
    text = "\n\n".join(t.strip() for t in texts if t.strip()) or (html_to_text(html) if html else "")
    if not senders:
        raise MailUnreadable(_("The message has no sender address (From) we can read."))
    date = None
    try:
        date = parsedate_to_datetime(_header(message, "Date")) if _header(message, "Date") else None
    except (TypeError, ValueError, IndexError):
        date = None
    if date is not None and date.tzinfo is None:
        date = None
    return ParsedMail(
        message_id=message_id,
        dedup_key=dedup_key,
        sender=senders[0][1],
        sender_name=senders[0][0],
        to=[address for _, address in _addresses(message, "To")],
        cc=[address for _, address in _addresses(message, "Cc")],
        delivered_to=[address for _, address in _addresses(message, "Delivered-To", "X-Original-To", "Envelope-To")],
        subject=" ".join(subject.split())[:MAX_SUBJECT],
        in_reply_to=_ids(_header(message, "In-Reply-To")),
        references=_ids(_header(message, "References")),
        text=text.strip(),
        newest=cut_reply(text) if text else "",
        html=html,
        files=files,
        date=date,
        auto_reply=_is_auto(message),
        spam=_header(message, "X-Spam-Flag").strip().upper() == "YES",
        bounce_recipients=bounce,
        is_bounce=message.get_content_type() == "multipart/report",
    )
