"""Every page in the reader's language: no English sentence of the catalogues on a Russian page.

The pages come from the URLconf (tests/urlmatrix.py), rendered for a Russian tenant admin (who may see
every page), and the portal, sign-in page and widget script for an anonymous visitor whose browser asks
for Russian. A page fails when it shows an English msgid (or a literal stretch of one between
placeholders and tags) of three words or more from any catalogue of the repository: a string that
bypasses translation, or one the Russian catalogue misses. Each test's id starts with the app that owns
the page.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, make_user
from helpdesk.accounts.services import user_create_or_update
from testing.i18n import english_phrases_everywhere, visible_text
from tests import urlmatrix
from tests.walk import FILLED, LEFT_OUT  # routes that take a value but read no page

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# The admin's column headers and field labels: each names a model field (or an admin column) for the reader.
ADMIN_COLUMN = re.compile(r'<th scope="col"[^>]*>.*?<div class="text">(.*?)</div>', re.S)
ADMIN_LABEL = re.compile(r"<label\b[^>]*>(.*?)</label>", re.S)
ADMIN_CHANGELIST = re.compile(r"^admin/(?P<app>[a-z_]+)/(?P<model>[a-z_]+)/$")
# Names that read the same in Russian: acronyms and protocol names.
SAME_IN_RUSSIAN = {"URL", "HTML", "SHA-256", "Message-ID", "ID", "IMAP", "SMTP", "GGUF", "CSV", "JSON", "API"}
# django-axes' own admin names its columns after its methods (no description to translate) and keeps the HTTP
# header names in its Russian catalogue: a third-party admin, not checked.
THIRD_PARTY_ADMIN = ("admin/axes/",)


def _owner(url: urlmatrix.TenantUrl) -> str:
    if url.kind == "admin":
        parts = url.route.split("/")
        return f"admin:{parts[1]}" if len(parts) > 2 and parts[1] and "{" not in parts[1] else "admin"
    module = getattr(url.callback, "__module__", "") or ""
    view_class = getattr(url.callback, "view_class", None)
    if view_class is not None:
        module = view_class.__module__
    return module.split(".")[0] if not module.startswith("helpdesk") else "helpdesk"


def _pages() -> list[urlmatrix.TenantUrl]:
    return [url for url in urlmatrix.tenant_urls() if url.kind != "api" and url.route not in LEFT_OUT]


def _id(url: urlmatrix.TenantUrl) -> str:
    return f"{_owner(url)}|{url.route or '/'}"


def _leaks(text: str) -> list[str]:
    flat = visible_text(text)
    return sorted(s for s in english_phrases_everywhere() if s in flat)


def _english_admin_names(body: str) -> list[str]:
    """The admin's column headers and field labels on ``body`` that show no Russian word: an untranslated
    verbose name (Django falls back to the field's English name)."""
    names = (re.sub(r"<[^>]+>", "", name) for name in ADMIN_COLUMN.findall(body) + ADMIN_LABEL.findall(body))
    english = set()
    for name in names:
        text = " ".join(html.unescape(name).split()).strip(" :?")
        if WORD.search(text) and not CYRILLIC.search(text) and not set(text.split()) <= SAME_IN_RUSSIAN:
            english.add(text)
    return sorted(english)


def _read(response) -> str:
    if getattr(response, "streaming", False):
        # A server-sent-events stream may run an answer for minutes: its first event is enough.
        first = next(iter(response.streaming_content), b"")
        response.close()
        return first.decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.fixture
def russian_admin(acme):
    make_user(acme, "irina@acme.test", "admin")
    with tenant_context(acme):
        user = user_create_or_update(email="irina@acme.test", role="admin", language="ru").user
    client = Client(HTTP_HOST=ACME_HOST)
    with tenant_context(acme):
        client.force_login(user)
    return client


def test_the_english_catalogue_has_sentences_of_the_platform_tickets_and_knowledge():
    sentences = english_phrases_everywhere()
    assert {
        "Self-hosted helpdesk · your data stays on your servers",
        "No replies yet. We will answer soon",
    } <= sentences
    assert "Documents the assistants answer from" in sentences and len(sentences) > 250


@pytest.mark.parametrize("url", _pages(), ids=_id)
def test_a_page_for_a_russian_user_shows_no_english_sentence(acme, russian_admin, url):
    seeds = urlmatrix.Seeds(acme)
    path = FILLED.get(url.route) or url.build(seeds)
    changelist = ADMIN_CHANGELIST.match(url.route)
    seeder = urlmatrix.ADMIN_MODELS.get(f"{changelist['app']}.{changelist['model']}") if changelist else None
    if seeder is not None:
        seeder(seeds)  # a row, so that the list shows its columns
    response = russian_admin.get(path)
    assert response.status_code != 500, path  # a crash, not a page (health/deps answers 503 without a worker)
    body = _read(response)
    if url.name == "javascript-catalog":
        # The script catalogue maps each English msgid to its translation: the Russian must be there.
        russian = "Перетащите файлы сюда или выберите их"
        assert russian in body or json.dumps(russian)[1:-1] in body
        return
    assert not _leaks(body), f"{path} shows English: {_leaks(body)}"
    if url.kind == "admin" and not url.route.startswith(THIRD_PARTY_ADMIN):
        assert not _english_admin_names(body), f"{path} names in English: {_english_admin_names(body)}"
        if seeder is not None:
            assert ADMIN_COLUMN.search(body), f"{path} shows no column"
    if response.status_code == 200 and "<html" in body:
        assert CYRILLIC.search(body), f"{path} has no Russian word"
        assert '<html lang="ru"' in body, f"{path} does not declare Russian"


@pytest.mark.parametrize("which", ["portal", "status", "confirm", "attachment", "sign-in", "widget"])
def test_the_portal_and_widget_for_a_russian_visitor_show_no_english_sentence(acme, which):
    seeds = urlmatrix.Seeds(acme)
    paths = {
        "portal": "/portal/",
        "status": f"/portal/t/{seeds.portal_token}/",
        "confirm": f"/portal/confirm/{seeds.confirm_token}/",
        "attachment": f"/portal/t/{seeds.portal_token}/attachments/{seeds.attachment.pk}/",
        "sign-in": "/accounts/login/",
        "widget": f"/assistants/widget.js?key={seeds.widget_key.key}",
    }
    visitor = Client(HTTP_HOST=ACME_HOST, headers={"Accept-Language": "ru-RU,ru;q=0.9,en-US;q=0.8"})
    response = visitor.get(paths[which])
    assert response.status_code == 200, paths[which]
    body = _read(response)
    assert not _leaks(body), f"{paths[which]} shows English: {_leaks(body)}"
    if response["Content-Type"].startswith("text/html"):
        assert response["Content-Language"] == "ru" and CYRILLIC.search(body)


def test_switching_a_user_to_english_shows_english(acme, russian_admin):
    russian = russian_admin.get("/").content.decode()
    assert "Открытые заявки" in russian and "Open tickets" not in russian
    response = russian_admin.post(
        "/accounts/profile/", {"full_name": "Irina", "timezone": "", "language": "en"}, follow=True
    )
    english = response.content.decode()
    assert "Profile saved." in english and '<html lang="en"' in english
    page = russian_admin.get("/").content.decode()
    assert "Open tickets" in page and "Открытые заявки" not in page
    # Back to Russian: the message of the save is already in the new language.
    back = russian_admin.post(
        "/accounts/profile/", {"full_name": "Irina", "timezone": "", "language": "ru"}, follow=True
    )
    assert "Профиль сохранён." in back.content.decode()


def test_a_user_without_a_language_reads_the_tenants_default(acme):
    agent = make_user(acme, "nina@acme.test", "agent")
    client = Client(HTTP_HOST=ACME_HOST, headers={"Accept-Language": "ru"})
    with tenant_context(acme):
        client.force_login(agent)
    assert "Open tickets" in client.get("/tickets/").content.decode() or "Tickets" in client.get("/").content.decode()
    acme.language = "ru"
    acme.save(update_fields=["language"])
    assert "Заявки" in client.get("/tickets/").content.decode()


@pytest.mark.parametrize(
    ("offered", "default", "accept", "expected"),
    [
        ([], "en", "ru-RU,ru;q=0.9", "ru"),  # every interface language offered: the browser's wins
        (["en"], "en", "ru-RU,ru;q=0.9", "en"),  # Russian not offered by this tenant
        (["en", "ru"], "ru", "de-DE,de;q=0.9", "ru"),  # nothing offered asked for: the tenant's default
        (["en", "ru"], "en", "de, ru;q=0.5, en;q=0.3", "ru"),  # the first offered in the browser's order
        ([], "uk", "fr", "en"),  # a default with no interface translation: the project's language
    ],
)
def test_a_visitor_reads_the_first_of_their_languages_the_tenant_offers(acme, offered, default, accept, expected):
    acme.languages, acme.language = offered, default
    acme.save(update_fields=["languages", "language"])
    response = Client(HTTP_HOST=ACME_HOST, headers={"Accept-Language": accept}).get("/portal/")
    assert response["Content-Language"] == expected
    assert ("Отправить обращение" in response.content.decode()) == (expected == "ru")


@pytest.mark.parametrize(
    ("accept", "refused", "missing"),
    [
        ("ru", "Неверный или отозванный API-ключ для этой службы поддержки.", "Учетные данные не были предоставлены."),
        ("en", "Invalid or revoked API key for this tenant.", "Authentication credentials were not provided."),
    ],
)
def test_api_errors_are_in_the_requests_language(acme, accept, refused, missing):
    client = Client(HTTP_HOST=ACME_HOST, headers={"Accept-Language": accept})
    response = client.get("/api/v1/tickets/", headers={"Authorization": "Api-Key hd_nothing_here"})
    assert response.status_code in (401, 403) and response.json()["detail"] == refused
    assert client.get("/api/v1/tickets/").json()["detail"] == missing
