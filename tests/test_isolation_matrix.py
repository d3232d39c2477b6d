"""Every tenant page and API endpoint, called in acme with globex's object ids: 404, and none of globex's data.

The routes come from the URLconf (tests/urlmatrix.py), so a new URL is covered the day it
lands, and one whose kwargs nobody registered fails here with the line to add.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

from conftest import ACME_HOST, login_client, make_user
from tests import urlmatrix

METHODS = ("get", "post", "patch", "put", "delete")
FOREIGN_IDS_FROM = 1_000_000  # globex's sequences start here for this test: no acme row has such an id


@pytest.fixture
def globex_far_ids(globex) -> Iterator[None]:
    """Move globex's sequences past anything acme holds (and put them back afterwards)."""
    with schema_context("globex"), connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'S' AND n.nspname = 'globex'"
        )
        names = [row[0] for row in cursor.fetchall()]
        saved = {}
        for name in names:
            cursor.execute(f'SELECT last_value, is_called FROM "globex"."{name}"')  # noqa: S608 - names from the catalog
            saved[name] = cursor.fetchone()
            cursor.execute("SELECT setval(%s, %s)", [f'"globex"."{name}"', FOREIGN_IDS_FROM])
    yield
    with schema_context("globex"), connection.cursor() as cursor:
        for name, (value, called) in saved.items():
            cursor.execute("SELECT setval(%s, %s, %s)", [f'"globex"."{name}"', value, called])


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _not_found(url: urlmatrix.TenantUrl, path: str, response) -> bool:
    if response.status_code == 404:
        return True
    # Django admin answers a missing object with a redirect to its index ("… doesn't exist"); its
    # bare object URL redirects to the change page, which does the same.
    redirects = {"/admin/", f"{path}change/"}
    return url.kind == "admin" and response.status_code == 302 and response["Location"] in redirects


def _refused_for_every_object(url: urlmatrix.TenantUrl, path: str, user, method: str) -> bool:
    """A 403 of an admin page whose operation this ModelAdmin allows on no object at all (read-only models,
    keys that are revoked rather than deleted): it says nothing about whether the id exists."""
    from django.contrib import admin
    from django.test import RequestFactory

    match = re.match(r"^/admin/(\w+)/(\w+)/[^/]+/(change|delete)/$", path)
    if url.kind != "admin" or not match:
        return False
    model = apps.get_model(match[1], match[2])
    request = getattr(RequestFactory(), method)(path)
    request.user = user
    model_admin = admin.site._registry[model]
    check = model_admin.has_delete_permission if match[3] == "delete" else model_admin.has_change_permission
    return not check(request)


def test_every_object_url_is_404_with_another_tenants_ids(acme, globex, globex_far_ids, settings, tmp_path):
    from helpdesk.accounts.services import api_key_issue

    admin = make_user(acme, "root@acme.test", "admin")  # every permission: only the tenant boundary can refuse

    settings.MEDIA_ROOT = str(tmp_path)
    seeds = urlmatrix.Seeds(globex)
    urls = [url for url in urlmatrix.tenant_urls() if url.is_object_route]
    assert len(urls) > 30, [u.route for u in urls]  # the URLconf was really walked
    built = {url.route: url.build(seeds) for url in urls}  # raises Unregistered with the line to add
    with tenant_context(acme):
        key = api_key_issue(name="matrix").raw_key
    api = Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {key}"})
    staff = login_client(acme, admin, ACME_HOST)

    problems: list[str] = []
    for url in urls:
        client = api if url.kind == "api" else staff
        path = built[url.route]
        looked_up = refused_everywhere = False
        for method in METHODS:
            if method == "get":
                response = client.get(path)
            else:
                response = getattr(client, method)(path, data="{}", content_type="application/json")
            body = _body(response)
            if urlmatrix.MARKER in body or urlmatrix.MARKER.lower() in body:
                problems.append(f"{method.upper()} {path}: shows globex's data")
            if _not_found(url, path, response):
                looked_up = True
            elif response.status_code == 403 and _refused_for_every_object(url, path, admin, method):
                refused_everywhere = True
            elif response.status_code != 405:
                problems.append(f"{method.upper()} {path} ({url.name}): {response.status_code}, expected 404")
        if not (looked_up or refused_everywhere):
            problems.append(f"{path} ({url.name}): no method answered 404")
    assert not problems, "\n".join(problems)


def test_an_unregistered_url_kwarg_fails_with_the_line_to_add(globex):
    url = urlmatrix.TenantUrl(route="datasets/{version_id}/download/", name="datasets:download", callback=None)
    with pytest.raises(urlmatrix.Unregistered, match=r'add "datasets/\{version_id\}": lambda s'):
        url.build(urlmatrix.Seeds(globex))
    admin = urlmatrix.TenantUrl(route="admin/vision/label/{object_id}/change/", name="", callback=None)
    with pytest.raises(urlmatrix.Unregistered, match=r'add "vision.label"'):
        admin.build(urlmatrix.Seeds(globex))
