"""The outbound guard against real sockets: local servers stand in for internal services and for
hostile ones (an answer dripped one byte a second, a gzip bomb, an endless body)."""

from __future__ import annotations

import gzip
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django_tenants.utils import tenant_context

from helpdesk import outbound
from helpdesk.outbound import CompressedResponse, OutboundBlocked, ResponseTooLarge
from integrations import services as integrations
from integrations import work
from integrations.events import services as webhooks
from integrations.models import OutboxItem, WebhookDelivery, WorkStatus
from integrations.services.outbox import outbox_process
from tests.fakeweb import FakeWeb, closed_port
from tickets import services as tickets

PAGE = b"<html><body>hello</body></html>"

REFUSED = [
    "127.0.0.1",
    "127.1.2.3",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # noqa: S104
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "::1",
    "::",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2001:db8::1",  # documentation
    "fec0::1",  # site-local (deprecated; Python 3.11 calls it global)
    "feff:ffff::1",
    "::ffff:100.64.0.1",
    "::ffff:224.0.0.1",
    "2002:6440:1::1",  # 6to4 of 100.64.0.1
]
PUBLIC = ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"]


@pytest.mark.parametrize("address", REFUSED)
def test_internal_addresses_are_refused(address, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    assert not outbound.address_allowed(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    assert outbound.address_allowed(address)


def test_allowed_networks_admit_exactly_their_range(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.1.2.0/24", "fd00:1::/64"]
    assert outbound.address_allowed("10.1.2.200")
    assert outbound.address_allowed("::ffff:10.1.2.7")
    assert outbound.address_allowed("fd00:1::5")
    assert not outbound.address_allowed("10.1.3.1")
    assert not outbound.address_allowed("127.0.0.1")
    assert not outbound.address_allowed("fd00:2::5")


@pytest.fixture
def internal() -> Iterator[FakeWeb]:
    """A real, reachable server on 127.0.0.2: the 'internal service' nobody may reach."""
    with FakeWeb(host="127.0.0.2") as site:
        site.route("/", body=b"internal secrets")
        yield site


@pytest.fixture
def public(allow_loopback) -> Iterator[FakeWeb]:
    """A 'public' site on 127.0.0.1 (admitted by OUTBOUND_ALLOWED_NETWORKS in tests)."""
    with FakeWeb() as site:
        site.route("/", body=PAGE)
        yield site


def _get_httpx(url: str) -> bytes:
    with outbound.httpx_client(follow_redirects=True) as client:
        return client.get(url).content


def _get_requests(url: str) -> bytes:
    with outbound.requests_session() as session:
        return session.get(url).content


CLIENTS = pytest.mark.parametrize("get", [_get_httpx, _get_requests], ids=["httpx", "requests"])


@CLIENTS
def test_loopback_is_refused_before_any_byte_is_sent(get, internal, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    for url in (internal.url("/"), f"http://localhost:{internal.port}/", f"http://[::1]:{internal.port}/"):
        with pytest.raises(OutboundBlocked) as caught:
            get(url)
        reason = caught.value.reason
        assert str(internal.port) not in reason and "127.0.0" not in reason and "::1" not in reason
    assert internal.hits == []


@CLIENTS
def test_allowed_fake_answers_and_a_redirect_hop_into_the_network_is_refused(get, public, internal):
    assert get(public.url("/")) == PAGE
    public.route("/docs", status=302, headers={"Location": internal.url("/")})
    public.route("/metadata", status=301, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    for path in ("/docs", "/metadata"):
        with pytest.raises(OutboundBlocked):
            get(public.url(path))
    assert internal.hits == []
    assert public.hits == ["/", "/docs", "/metadata"]


@CLIENTS
def test_the_address_dialled_is_the_one_checked(get, public, monkeypatch):
    """DNS rebinding: the same name and port answer an allowed address first, an internal one next."""
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1", "127.0.0.2", "127.0.0.2", "127.0.0.2"])
    calls = []

    def rebinding(host, port, *args, **kwargs):
        if host != "wiki.rebind.test":
            return real(host, port, *args, **kwargs)
        calls.append(host)
        return real(next(answers), port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with FakeWeb(host="127.0.0.2", port=public.port) as internal:
        internal.route("/", body=PAGE)  # the same page: only the hit logs tell the two servers apart
        assert get(f"http://wiki.rebind.test:{public.port}/") == PAGE
        with pytest.raises(OutboundBlocked):
            get(f"http://wiki.rebind.test:{public.port}/")
    # One resolution per connection: what was checked is what was dialled.
    assert len(calls) == 2
    assert public.hits == ["/"] and internal.hits == []


def test_a_name_with_one_internal_address_among_public_ones_is_refused(monkeypatch, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []

    def mixed(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", mixed)
    with pytest.raises(OutboundBlocked):
        _get_httpx("http://mixed.example/")


def test_guard_cannot_be_bypassed_through_arguments_or_proxies(monkeypatch, public, internal):
    for argument in ("transport", "mounts", "proxy", "trust_env"):
        with pytest.raises(TypeError, match="bypass"):
            outbound.httpx_client(**{argument: None})
    # An environment proxy on the internal network is never used (it would carry any request inside).
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, internal.url("/"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert _get_httpx(public.url("/")) == PAGE
    assert _get_requests(public.url("/")) == PAGE
    assert internal.hits == [] and public.hits == ["/", "/"]


@CLIENTS
def test_response_size_is_capped(get, public):
    big = b"x" * (300 * 1024)
    public.route("/big", body=big)
    public.route("/stream", body=big, send_length=False)
    with outbound.httpx_client() as client:
        for path in ("/big", "/stream"):
            with client.stream("GET", public.url(path)) as response, pytest.raises(ResponseTooLarge) as caught:
                outbound.read_limited(response, 100 * 1024)
            assert "larger than 100 KB" in caught.value.reason
        with client.stream("GET", public.url("/big")) as response:
            assert outbound.read_limited(response, 400 * 1024) == big
    with outbound.requests_session() as session, pytest.raises(ResponseTooLarge):
        outbound.read_limited(session.get(public.url("/stream"), stream=True), 100 * 1024)


def test_errors_are_described_without_internals(allow_loopback, public, monkeypatch):
    port = closed_port()
    with pytest.raises(httpx.ConnectError) as refused:
        _get_httpx(f"http://127.0.0.1:{port}/")
    assert outbound.describe_error(refused.value) == "the connection was refused (nothing answers at that address)"
    with pytest.raises(requests.ConnectionError) as refused_requests:
        _get_requests(f"http://127.0.0.1:{port}/")
    assert "refused" in outbound.describe_error(refused_requests.value)

    public.route("/slow", body=PAGE, delay=1.0)
    with outbound.httpx_client(timeout=0.2) as client, pytest.raises(httpx.TimeoutException) as slow:
        client.get(public.url("/slow"))
    assert outbound.describe_error(slow.value, timeout=0.2) == "the site did not answer within 0.2 s (timeout)"

    def no_such_host(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with pytest.raises(httpx.ConnectError) as dns:
        _get_httpx("http://help.no-such-host.example/")
    assert "DNS" in outbound.describe_error(dns.value)
    for described in (outbound.describe_error(refused.value), outbound.describe_error(dns.value)):
        assert str(port) not in described and "127.0.0.1" not in described


def test_a_bad_allowed_network_stops_the_process_at_start():
    from django.core.exceptions import ImproperlyConfigured

    from helpdesk.env import env_networks

    assert env_networks("N", [], {"N": "10.0.0.0/8, fd00::/8"}) == ["10.0.0.0/8", "fd00::/8"]
    with pytest.raises(ImproperlyConfigured, match="not a network"):
        env_networks("N", [], {"N": "10.0.0.0/33"})


# --- Deadlines, compressed and huge answers --------------------------------------------------------

DEADLINE = 1.5
# Generous on a busy machine, and still far below the 20 s the dripping site would hold a caller.
MARGIN = 3.0
BOMB = gzip.compress(b"\0" * (20 * 1024 * 1024))  # 20 MB of zeros in ~20 KB


@pytest.fixture
def hostile(allow_loopback, settings) -> Iterator[FakeWeb]:
    """A site whose every answer is a trap: dripped for 20 s, a gzip bomb, 100 MB of body."""
    settings.OUTBOUND_DEADLINE_SECONDS = DEADLINE
    with FakeWeb() as site:
        site.route("/drip", body=b'{"a": "' + b"x" * 20 + b'"}', content_type="application/json", drip=1.0)
        site.route("/bomb", body=BOMB, content_type="application/json", headers={"Content-Encoding": "gzip"})
        site.route("/huge", body=b"x" * 65536, repeat=1600, send_length=False)
        yield site


def _timed(call: Callable[[], object]) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(Exception) as caught:  # noqa: PT011 - each test checks what it is
        call()
    return caught.value, time.monotonic() - started


@CLIENTS
def test_a_site_dripping_its_answer_is_cut_off_at_the_deadline(get, hostile):
    error, seconds = _timed(lambda: get(hostile.url("/drip")))
    assert seconds < DEADLINE + MARGIN
    assert outbound.describe_error(error) == f"the site did not finish answering within {DEADLINE:g} s"


@CLIENTS
def test_a_gzip_bomb_is_refused_unread_and_identity_was_asked_for(get, hostile):
    with pytest.raises(CompressedResponse) as caught:
        get(hostile.url("/bomb"))
    assert "compressed" in caught.value.reason
    assert hostile.headers[-1]["accept-encoding"] == "identity"


def test_one_deadline_covers_several_requests(hostile, settings):
    """A tracker call that pages: the second request gets only what the first one left."""
    settings.OUTBOUND_DEADLINE_SECONDS = 30
    hostile.route("/slow", body=b"ok", delay=1.2)
    with outbound.requests_session() as session, outbound.deadline(2.0):
        assert session.get(hostile.url("/slow")).content == b"ok"
        with pytest.raises(requests.Timeout) as caught:
            session.get(hostile.url("/slow"))
    assert outbound.deadline_exceeded(caught.value) is not None


@pytest.fixture
def tls_drip(hostile, tmp_path) -> tuple[str, str]:
    """The dripping site over TLS (a self-signed certificate for localhost), and the certificate's file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    hostile.server.socket = server.wrap_socket(hostile.server.socket, server_side=True)
    return f"https://localhost:{hostile.port}/drip", str(tmp_path / "cert.pem")


def test_the_deadline_holds_over_tls(tls_drip):
    url, cafile = tls_drip

    def with_httpx() -> None:
        with outbound.httpx_client(verify=ssl.create_default_context(cafile=cafile)) as client:
            client.get(url)

    def with_requests() -> None:
        with outbound.requests_session() as session:
            session.get(url, verify=cafile)

    for call in (with_httpx, with_requests):
        error, seconds = _timed(call)
        assert seconds < DEADLINE + MARGIN
        assert outbound.describe_error(error) == f"the site did not finish answering within {DEADLINE:g} s"


def _delivery(url: str) -> WebhookDelivery:
    endpoint, _ = webhooks.endpoint_create(url=url, events=["ticket.created"])
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event="ticket.created", payload={"event": "ticket.created", "text": "Привет"}
    )


def test_a_webhook_receiver_that_drips_fails_the_attempt_at_the_deadline(acme, hostile):
    with tenant_context(acme):
        delivery = _delivery(hostile.url("/drip"))
        started = time.monotonic()
        assert webhooks.delivery_process(delivery_id=delivery.pk) == "retry"
        assert time.monotonic() - started < DEADLINE + MARGIN
        delivery.refresh_from_db()
    assert delivery.status == WorkStatus.PENDING
    assert delivery.last_error == f"The receiver did not finish answering within {DEADLINE:g} s"


def test_a_webhook_receiver_answering_a_gzip_bomb_is_not_expanded(acme, hostile):
    with tenant_context(acme):
        delivery = _delivery(hostile.url("/bomb"))
        assert webhooks.delivery_process(delivery_id=delivery.pk) == "failed"
        delivery.refresh_from_db()
    assert "compressed answer" in delivery.last_error and delivery.response_excerpt == ""
    assert hostile.headers[-1]["accept-encoding"] == "identity"


def test_a_webhook_receiver_with_an_endless_answer_is_read_for_an_excerpt_only(acme, hostile):
    with tenant_context(acme):
        delivery = _delivery(hostile.url("/huge"))
        assert webhooks.delivery_process(delivery_id=delivery.pk) == "ok"
        delivery.refresh_from_db()
    assert delivery.status == WorkStatus.DONE and delivery.response_excerpt == "x" * 300
    # The rest of the 100 MB was never read: what left the server is what the socket buffers hold.
    assert hostile.sent < 40 * 1024 * 1024


def _jira_at(url: str) -> None:
    integrations.connection_save(
        system="jira",
        base_url=url,
        username="bot@example.test",
        token="jira-token",
        project_key="SUP",
        webhook_secret="s3cret-hook",
    )


def _escalate() -> OutboxItem:
    contact = tickets.contact_ensure(email="dana@northwind.example", name="Дана")
    ticket = tickets.ticket_create(subject="Экспорт падает", description="Error 500", requester=contact, by=contact)
    return integrations.ticket_escalate(ticket=ticket, system="jira", by=contact)


def test_an_escalation_to_a_jira_that_drips_fails_at_the_deadline_with_the_reason(acme, hostile):
    """Through the real jira client: its session's adapter enforces the deadline, no patching."""
    paths = ("/rest/api/2/field", "/rest/api/2/search", "/rest/api/2/search/jql")  # the client's first requests
    hostile.routes = {path: hostile.routes["/drip"] for path in paths}
    with tenant_context(acme):
        _jira_at(hostile.url(""))
        item = _escalate()
        started = time.monotonic()
        outcome = outbox_process(item_id=item.pk)
        item.refresh_from_db()
        assert outcome == "retry", item.last_error
        assert time.monotonic() - started < DEADLINE + MARGIN
        item.refresh_from_db()
    assert item.last_error == f"Jira did not finish answering within {DEADLINE:g} s"
    assert hostile.headers[-1]["accept-encoding"] == "identity"


def test_test_connection_on_the_page_gives_up_on_a_dripping_jira(manager_client, hostile):
    hostile.routes = {"/rest/api/2/serverInfo": hostile.routes["/drip"]}
    form = {
        "base_url": hostile.url(""),
        "username": "bot@example.test",
        "token": "jira-token",
        "webhook_secret": "s3cret-hook",
        "project_key": "SUP",
        "issue_type": "Task",
        "resolved_status": "solved",
        "enabled": "on",
        "priority_low": "Low",
        "priority_normal": "Medium",
        "priority_high": "High",
        "priority_urgent": "Highest",
    }
    assert manager_client.post("/integrations/jira/", form).status_code == 302
    started = time.monotonic()
    tested = manager_client.post("/integrations/jira/test/", headers={"HX-Request": "true"}).content.decode()
    assert time.monotonic() - started < DEADLINE + MARGIN
    assert "Failed" in tested and f"Jira did not finish answering within {DEADLINE:g} s" in tested


# --- Leases outlast the calls they guard ---------------------------------------------------------


def test_the_lease_outlasts_the_calls_of_a_claim(settings):
    settings.INTEGRATIONS_LEASE_SECONDS = 0  # derived
    for deadline in (1.5, 30, 600):
        settings.OUTBOUND_DEADLINE_SECONDS = deadline
        work.check_lease()
        assert work.lease_seconds() > deadline * work.CALLS_PER_CLAIM
    settings.OUTBOUND_DEADLINE_SECONDS = 30
    settings.INTEGRATIONS_LEASE_SECONDS = 90  # three calls of 30 s may take all of it
    with pytest.raises(ImproperlyConfigured, match="INTEGRATIONS_LEASE_SECONDS=90 must be longer"):
        work.check_lease()


def test_a_row_whose_calls_may_still_be_running_is_not_handed_to_a_second_worker(acme, settings):
    settings.INTEGRATIONS_LEASE_SECONDS = 0
    settings.OUTBOUND_DEADLINE_SECONDS = 60  # a claim's three calls may take three minutes
    with tenant_context(acme):
        delivery = _delivery("https://hooks.example/in")
        assert work.claim(WebhookDelivery.objects.all(), delivery.pk) is not None
        WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() - timedelta(seconds=150))
        assert (
            work.claim(WebhookDelivery.objects.all(), delivery.pk) is None
        )  # the first worker may still be in its call
        WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() - timedelta(seconds=300))
        assert work.claim(WebhookDelivery.objects.all(), delivery.pk) is not None  # that worker is gone


def test_an_escalation_claim_makes_no_more_calls_than_its_lease_allows(acme, allow_loopback, monkeypatch):
    from integrations import http
    from testing.jira import FakeJira

    fake = FakeJira().start()
    calls: list[str] = []
    real = http.tracker_call

    @contextmanager
    def counted() -> Iterator[None]:
        before = len(fake.log)
        with real():
            yield
        if len(fake.log) > before:  # a call that went out over the network
            calls.append(fake.log[-1][1])

    monkeypatch.setattr(http, "tracker_call", counted)
    try:
        with tenant_context(acme):
            _jira_at(fake.url)
            assert outbox_process(item_id=_escalate().pk) == "ok"
    finally:
        fake.stop()
    assert 0 < len(calls) <= work.CALLS_PER_CLAIM, calls
