"""Every response carries a Content-Security-Policy under which markup a customer slipped into a page
cannot run: scripts from this site only (or inline with the response's nonce), no inline handlers, no
eval, no plugins, no framing, no foreign <base> or form targets. And no page of ours needs more: no
inline script without the nonce, no on…= handler, no hx-on, no style attribute.

The pages come from the URLconf through tests/urlmatrix.py, so a page added by any app is checked the
day it lands (in a real browser too: tests/test_csp_browser.py).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from conftest import ACME_HOST, login_client, make_user
from tests import urlmatrix
from tests.walk import FILLED, LEFT_OUT


def policy(response) -> dict[str, list[str]]:
    """The directives of a response's enforced policy ({} when it sends none)."""
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        if part.split():
            name, *values = part.split()
            directives[name.lower()] = values
    return directives


def policy_problems(directives: dict[str, list[str]], *, page: bool = True) -> list[str]:
    """What the policy lets injected markup do; ``page``: the response is a document (HTML), not a file."""
    if not directives:
        return ["no Content-Security-Policy header"]
    problems = []
    scripts = directives.get("script-src", directives.get("default-src"))
    if scripts is None:
        problems.append("neither script-src nor default-src")
    elif {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(scripts):
        problems.append(f"script-src {' '.join(scripts)}")
    if directives.get("object-src", directives.get("default-src")) != ["'none'"]:
        problems.append(f"object-src {directives.get('object-src')}")
    if not page:
        return problems
    for name in ("base-uri", "form-action"):  # no fallback to default-src for these
        if directives.get(name) not in (["'self'"], ["'none'"]):
            problems.append(f"{name} {directives.get(name)}")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append(f"frame-ancestors {directives.get('frame-ancestors')}")
    return problems


class _Inline(HTMLParser):
    """Collects what a page would run or style inline."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__()
        self.nonce = nonce
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        inline = tag == "script" and "src" not in names and names.get("type", "text/javascript") != "application/json"
        if inline and (not self.nonce or names.get("nonce") != self.nonce):
            self.found.append(f"<script> without the response's nonce at line {self.getpos()[0]}")
        if tag == "style" and (not self.nonce or names.get("nonce") != self.nonce):
            self.found.append(f"<style> without the response's nonce at line {self.getpos()[0]}")
        for name, value in attrs:
            if re.fullmatch(r"on\w+|hx-on.*|data-hx-on.*|style", name) or (value or "").startswith("javascript:"):
                self.found.append(f"<{tag} {name}=…> at line {self.getpos()[0]}")


def inline_code(response) -> list[str]:
    nonces = re.findall(r"'nonce-([^']+)'", response.headers.get("Content-Security-Policy", ""))
    parser = _Inline(nonces[0] if nonces else None)
    parser.feed(response.content.decode(errors="replace"))
    return parser.found


@pytest.fixture
def staff(acme) -> Client:
    return login_client(acme, make_user(acme, "csp@acme.test", "admin"), ACME_HOST)  # sees every page


def test_every_page_sends_a_policy_that_runs_no_injected_script(acme, staff, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    seeds = urlmatrix.Seeds(acme)
    seeds.ticket_answer  # noqa: B018 - the ticket page with an AI draft and its buttons
    problems, pages = [], 0
    for url in urlmatrix.tenant_urls():
        if url.route in LEFT_OUT:
            continue
        path = FILLED.get(url.route) or url.build(seeds)
        response = staff.get(path)
        html = response.headers.get("Content-Type", "").startswith("text/html")
        found = policy_problems(policy(response), page=html)
        problems += [f"GET {path} ({response.status_code}): {p}" for p in found]
        if response.status_code == 200 and html and not response.streaming:
            pages += 1
            problems += [f"GET {path}: {p}" for p in inline_code(response)]
    for path in ["/portal/", f"/portal/t/{seeds.portal_token}/", "/accounts/login/", "/does-not-exist/"]:
        response = Client(HTTP_HOST=ACME_HOST).get(path)  # what an anonymous visitor sees
        problems += [f"GET {path} (anonymous): {p}" for p in policy_problems(policy(response)) + inline_code(response)]
    assert pages > 60  # pages of every app were really read
    assert not problems, "\n".join(problems)


def test_the_public_site_and_the_platform_admin_send_the_policy(db):
    client = Client(HTTP_HOST="localhost")
    for path in ["/", "/admin/login/"]:
        response = client.get(path)
        assert response.status_code == 200
        assert policy_problems(policy(response)) == [], path
        assert inline_code(response) == [], path


def test_the_api_docs_load_their_script_from_this_site(staff):
    page = staff.get("/api/docs/")
    assert page.status_code == 200 and inline_code(page) == []
    scripts = re.findall(r'<script src="([^"]+)"', page.content.decode())
    assert all(src.startswith("/") for src in scripts), scripts  # 'self', as the policy says
    own = [src for src in scripts if "swagger-ui-bundle" not in src]
    assert own and staff.get(own[0].replace("&amp;", "&")).status_code == 200  # the initialiser is served
