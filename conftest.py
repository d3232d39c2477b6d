"""Shared fixtures: embedded services, two tenants, personas and a real Celery worker.

- The embedded PostgreSQL and Redis start once per session (and stop at the end
  if this session started them).
- Tenants `acme` and `globex` are created once, after the test database; each
  test then runs in a transaction that is rolled back.
- Personas: `agent` and `manager` in acme, `outsider` (an agent) in globex.
- `celery_worker` starts a real worker on the test database, once, on first use.
- Tests whose rows another process or thread (the worker, `live_app`) must see
  use `committed` instead of `transaction=True`, and `live_app` instead of
  pytest-django's `live_server`: both of those flush the database after the
  test, which would empty the public tenant tables.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context, tenant_context

from helpdesk import devstack
from helpdesk.tenants.db import connection

ACME_HOST = "acme.localhost"
GLOBEX_HOST = "globex.localhost"
PASSWORD = "correct-horse-battery"


def pytest_configure(config: pytest.Config) -> None:
    try:
        config.stash[_started_key] = devstack.start()
    except devstack.DevstackError as exc:
        raise pytest.UsageError(f"embedded services: {exc}") from exc


def pytest_unconfigure(config: pytest.Config) -> None:
    devstack.stop(config.stash.get(_started_key, []))


_started_key = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """The test database with tenants acme and globex, whatever fixtures the selected tests use.

    pytest-django's own version creates it only for tests that use `db`; a run of
    `committed` tests alone would otherwise write to (and empty) the dev database.
    """
    from django.test.utils import setup_databases, teardown_databases

    from helpdesk.tenants.services import public_tenant_ensure, tenant_create

    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases={"default"},  # type: ignore[arg-type]  # a set, as pytest-django passes it
            keepdb=django_db_keepdb and not django_db_createdb,
        )
        public_tenant_ensure()
        tenant_create(schema_name="acme", name="Acme Corporation", domain=ACME_HOST)
        tenant_create(schema_name="globex", name="Globex Corporation", domain=GLOBEX_HOST)
    yield
    with django_db_blocker.unblock():
        # Playwright's greenlets give fixtures their own context, hence their own connection, which
        # pytest-django does not close; end every other session so that the test database can be dropped.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        if not django_db_keepdb:
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _public_schema_each_test() -> Iterator[None]:
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _default_language_each_test() -> Iterator[None]:
    """LocaleMiddleware activates a request's language in the test's thread and leaves it active: without
    this, a test rendering after a Russian request would read Russian."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _media_root_each_test() -> Iterator[None]:
    """django-tenants' storage caches MEDIA_ROOT/<schema> the first time it is used and ignores later
    MEDIA_ROOT changes: a test that points MEDIA_ROOT at its tmp_path would otherwise send every later
    upload there, where a real worker (another process, the configured MEDIA_ROOT) never finds it."""
    from django.core.files.storage import storages

    storages["default"].__dict__.pop("relative_media_root", None)
    yield
    storages["default"].__dict__.pop("relative_media_root", None)


@pytest.fixture(scope="session")
def romashka_tenant(django_db_setup: None, django_db_blocker) -> object:
    """The Russian demo tenant's row and bare schema, created once (its schema's migrations take ~15 s): `manage.py
    demo` then finds it as it finds acme and globex, and its tests (tests/test_demo_russian.py) seed it."""
    from helpdesk.accounts.management.commands.demo import DEMO_TENANTS
    from helpdesk.tenants.services import tenant_create

    schema, name, language, _ = next(row for row in DEMO_TENANTS if row[0] == "romashka")
    with django_db_blocker.unblock():
        return tenant_create(schema_name=schema, name=name, language=language).tenant


@pytest.fixture
def acme(db: None):
    from helpdesk.tenants.models import Tenant

    return Tenant.objects.get(schema_name="acme")


@pytest.fixture
def globex(db: None):
    from helpdesk.tenants.models import Tenant

    return Tenant.objects.get(schema_name="globex")


def make_user(tenant, email: str, role: str):
    from helpdesk.accounts.services import user_create_or_update

    with tenant_context(tenant):
        return user_create_or_update(email=email, role=role, password=PASSWORD, full_name=email.split("@")[0]).user


@pytest.fixture
def agent(acme):
    return make_user(acme, "alice@acme.test", "agent")


@pytest.fixture
def manager(acme):
    return make_user(acme, "mark@acme.test", "manager")


@pytest.fixture
def outsider(globex):
    return make_user(globex, "olga@globex.test", "agent")


def login_client(tenant, user, host: str) -> Client:
    client = Client(HTTP_HOST=host)
    with tenant_context(tenant):  # the session row lives in the tenant's schema
        client.force_login(user)
    return client


@pytest.fixture
def acme_client(db: None) -> Client:
    return Client(HTTP_HOST=ACME_HOST)


@pytest.fixture
def public_client(db: None) -> Client:
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def agent_client(acme, agent) -> Client:
    return login_client(acme, agent, ACME_HOST)


@pytest.fixture
def manager_client(acme, manager) -> Client:
    return login_client(acme, manager, ACME_HOST)


@pytest.fixture
def outsider_client(globex, outsider) -> Client:
    return login_client(globex, outsider, GLOBEX_HOST)


# --- Real worker and committed data ---------------------------------------------------------------


def worker_database_url() -> str:
    name = settings.DATABASES["default"]["NAME"]
    if os.environ.get("DATABASE_URL"):
        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path=f"/{name}"))
    return devstack.postgres_url(database=str(name))


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process on the test database and the test Redis."""
    from helpdesk.celery import app

    app.control.purge()  # tasks left over by an interrupted earlier run
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test"}
    env.setdefault("OUTBOUND_ALLOWED_NETWORKS", LOOPBACK_FAKES)  # the worker's requests reach local fakes
    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    cmd = [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool=solo", "-n", name]
    # The default queue, LoRA training, screenshots and outgoing webhooks.
    cmd += ["-Q", f"celery,{settings.LORA_QUEUE},{settings.VISION_QUEUE},{settings.WEBHOOKS_QUEUE}"]
    cmd += ["--loglevel=WARNING", "--without-gossip", "--without-mingle"]
    proc = subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"celery worker exited with {proc.returncode}")
        if app.control.ping(timeout=0.5):
            break
    else:
        proc.terminate()
        pytest.fail("celery worker did not answer a ping within 60 s")
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


KEEP_TABLES = {"django_migrations", "django_content_type", "auth_permission", "auth_group", "auth_group_permissions"}


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker) -> Iterator[None]:
    """Writes commit for real (for the worker to see); afterwards the tenant tables are emptied."""
    with committing(django_db_blocker):
        yield


@contextmanager
def committing(django_db_blocker) -> Iterator[None]:
    """`committed` for a fixture of any scope: writes inside commit for real, then the tenant tables are emptied."""
    name = str(connection.settings_dict["NAME"])
    assert name.startswith("test_"), f"refusing to commit and truncate in the non-test database {name!r}"
    with django_db_blocker.unblock():
        try:
            yield
        finally:
            connection.set_schema_to_public()
            for schema in ("acme", "globex"):
                with schema_context(schema), connection.cursor() as cursor:
                    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
                    tables = [row[0] for row in cursor.fetchall() if row[0] not in KEEP_TABLES]
                    if tables:
                        quoted = ", ".join(f'"{schema}"."{table}"' for table in tables)
                        cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


@contextmanager
def rolled_back_at_the_end(django_db_blocker) -> Iterator[None]:
    """For a fixture wider than a test whose rows the tests only read: a transaction kept open while it lives, in which
    each test's own (pytest-django's `db`) is a savepoint, so that a test's writes are undone as usual; it is rolled
    back when the fixture ends. Write the rows inside `django_db_blocker.unblock()`."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            connection.set_schema_to_public()


# --- Browser (Debian's headless Chromium driven by Playwright) -----------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls in tests are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()  # fresh cookies for every test
    yield context.new_page()
    context.close()


class LiveApp:
    """A live HTTP server of the whole project (tenant sites by host), started once per session."""

    def __init__(self, port: int) -> None:
        self.port = port

    def url(self, schema: str | None = None, path: str = "/") -> str:
        host = f"{schema}.localhost" if schema else "localhost"
        return f"http://{host}:{self.port}{path}"


@pytest.fixture(scope="session")
def live_app(django_db_setup: None, django_db_blocker) -> Iterator[LiveApp]:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    with django_db_blocker.unblock():
        thread = LiveServerThread("localhost", StaticFilesHandler, connections_override={}, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
    yield LiveApp(thread.port)
    with django_db_blocker.unblock():
        thread.terminate()


# --- Outbound requests ---

# Test fakes (web sites, Jira, webhooks) listen on 127.0.0.1; 127.0.0.2 and the rest of 127/8 stay refused,
# so a test can stand up a reachable "internal" server there and prove the guard refuses it.
LOOPBACK_FAKES = "127.0.0.1/32"


@pytest.fixture
def allow_loopback(settings) -> None:
    """Let outbound requests of this test (in this process) reach fakes on 127.0.0.1."""
    settings.OUTBOUND_ALLOWED_NETWORKS = [LOOPBACK_FAKES]


# --- Publishes instead of the broker ---


@pytest.fixture
def published(monkeypatch) -> list[tuple[str, tuple[object, ...], dict[str, object]]]:
    """(task name, args, kwargs) of every task sent in this process, instead of sending it to the broker."""
    from helpdesk.celery import app

    messages: list[tuple[str, tuple[object, ...], dict[str, object]]] = []

    def send_task(name: str, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        messages.append((name, tuple(args or ()), dict(kwargs or {})))

    monkeypatch.setattr(app, "send_task", send_task)
    return messages
