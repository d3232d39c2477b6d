"""The outbound guard against real sockets: local servers stand in for internal services."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
import requests

from helpdesk import outbound
from helpdesk.outbound import OutboundBlocked, ResponseTooLarge
from tests.fakeweb import FakeWeb, closed_port

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
