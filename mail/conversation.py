"""How a message finds its ticket: the signed token of a reply address, and the ``[#1042]`` of a subject.

The token is the ticket's number and a keyed hash of it (with the tenant's schema), so a sender can
name a ticket only with an address we gave out: ``support+1042-5f0c9a1b2d3e4f60@acme.example``.
"""

from __future__ import annotations

import re

from django.utils.crypto import constant_time_compare, salted_hmac

from helpdesk.tenants.db import connection

SALT = "mail.reply-token"
TOKEN = re.compile(r"\+(\d{1,9})-([0-9a-f]{16})@", re.IGNORECASE)
SUBJECT_NUMBER = re.compile(r"\[#(\d{1,9})\]")


def _signature(number: int) -> str:
    return salted_hmac(SALT, f"{connection.schema_name}:{number}", algorithm="sha256").hexdigest()[:16]


def reply_token(number: int) -> str:
    return f"{number}-{_signature(number)}"


def reply_address(address: str, number: int) -> str:
    """``address`` with the ticket's signed token after a ``+`` in its local part."""
    local, _, domain = address.partition("@")
    return f"{local.split('+', 1)[0]}+{reply_token(number)}@{domain}"


def token_number(addresses: list[str]) -> int | None:
    """The ticket number of the first address that carries a valid token; None without one."""
    for address in addresses:
        match = TOKEN.search(address)
        if match and constant_time_compare(match.group(2).lower(), _signature(int(match.group(1)))):
            return int(match.group(1))
    return None


def subject_number(subject: str) -> int | None:
    match = SUBJECT_NUMBER.search(subject or "")
    return int(match.group(1)) if match else None


def base_address(address: str) -> str:
    """``support+anything@host`` → ``support@host``: the mailbox an address with a tag belongs to."""
    local, _, domain = address.lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"
