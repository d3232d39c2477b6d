"""The walk of every page in Chromium (tests/walk.py), once per session for the checks that judge it."""

from __future__ import annotations

import pytest

from conftest import committing
from tests.walk import Walk, walk_every_page


@pytest.fixture(scope="session")
def page_walk(django_db_setup: None, django_db_blocker, live_app, browser) -> Walk:
    """What every page showed; its rows are committed (the live server's thread must see them), then emptied."""
    from helpdesk.tenants.models import Tenant

    with committing(django_db_blocker):
        return walk_every_page(Tenant.objects.get(schema_name="acme"), live_app, browser)
