"""Outbound HTTP that cannot be pointed at our own network (SSRF guard).

Every request the product makes on behalf of a tenant (crawling a knowledge site,
webhooks, Jira / Zendesk calls) goes through ``httpx_client()`` or
``requests_session()``. Both resolve the host when they open a connection, refuse
the connection when any address of the host is loopback, private, link-local,
multicast, reserved or unspecified (IPv4 and IPv6, including IPv4 addresses
embedded in IPv6 ones), and then dial exactly the address they checked: a DNS
answer that changes between a check and the connect (DNS rebinding) changes
nothing. Redirects open their connections through the same code, so every hop
is checked. Environment proxies are ignored (a proxy would hide the target).

``OUTBOUND_ALLOWED_NETWORKS`` (CIDR list, empty by default) admits chosen
networks, e.g. an intranet wiki at 10.1.2.0/24, or 127.0.0.1/32 for test fakes.

A refusal raises ``OutboundBlocked``, whose ``reason`` is a sentence for the user
that names no address or port. Nothing here retries: a refusal is permanent.

Every request is also bounded, whatever the call site asks for, because a hostile or
broken server must not hold a worker or a web thread: it asks for
``Accept-Encoding: identity`` and refuses a compressed answer (``CompressedResponse``,
so a gzip bomb is never expanded); its body is read up to ``max_bytes``
(``ResponseTooLarge``); and it ends by a wall-clock deadline (``OUTBOUND_DEADLINE_SECONDS``
unless the client is given its own), not a per-read timeout that a server dripping one
byte at a time resets forever. The deadline is enforced on the socket: every connect,
send and receive (TLS included) waits at most for what is left of it, then raises
``DeadlineExceeded`` (a ``TimeoutError``, which httpx and requests report as their
timeouts). ``deadline()`` puts one deadline over several requests (a tracker call that
pages or follows redirects); an enclosing, earlier deadline always wins.

Why not a library: the maintained choices on PyPI are either requests-only and
unreleased since 2020 (advocate) or young single-author wrappers of httpx only;
the guard is one resolver-and-connect function plugged into each client's
public connection hook (httpcore's network backend, urllib3's connection class).
"""

from __future__ import annotations

import errno
import functools
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx
import requests
from django.conf import settings
from httpcore._backends.sync import SyncStream  # the stream type SyncBackend itself returns
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "CompressedResponse",
    "DeadlineExceeded",
    "OutboundBlocked",
    "ResponseTooLarge",
    "address_allowed",
    "deadline",
    "deadline_exceeded",
    "describe_error",
    "guard_session",
    "httpx_client",
    "read_limited",
    "read_start",
    "requests_session",
]

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 ranges that carry an IPv4 address in their last 32 bits (NAT64 well-known prefix).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# 100.64/10 (carrier-grade NAT) is not `is_private` for Python but is nobody's public address.
_SHARED = ipaddress.ip_network("100.64.0.0/10")
# IPv6 site-local (deprecated by RFC 3879, still routed inside some networks): Python 3.11 calls it global.
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")

BLOCKED_REASON = (
    "This address points into a private or internal network (loopback, private, link-local or reserved "
    "addresses), so the helpdesk does not connect to it. Ask an administrator to allow the network if it "
    "is an intranet site."
)


class OutboundBlocked(Exception):
    """A request the guard refused; ``reason`` is safe to show to the user (no addresses, no ports)."""

    def __init__(self, reason: str = BLOCKED_REASON) -> None:
        super().__init__(reason)
        self.reason = reason


class ResponseTooLarge(OutboundBlocked):
    """A response body above the allowed size; nothing beyond the limit was read."""


class CompressedResponse(OutboundBlocked):
    """A compressed answer to a request for an uncompressed one: not read, so never expanded."""

    def __init__(self) -> None:
        super().__init__(
            "The site sent a compressed answer although the helpdesk asks for uncompressed ones, "
            "so the answer was not read."
        )


class DeadlineExceeded(TimeoutError):
    """The whole request (or the calls inside one ``deadline()``) took longer than its deadline."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.reason = f"did not finish answering within {seconds:g} s"
        super().__init__(self.reason)


# --- Which addresses ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _parse_networks(values: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip())


def allowed_networks() -> tuple[IPNetwork, ...]:
    """``OUTBOUND_ALLOWED_NETWORKS`` as networks (the setting may be a list or a comma-separated string)."""
    value = getattr(settings, "OUTBOUND_ALLOWED_NETWORKS", ())
    if isinstance(value, str):
        value = value.split(",")
    return _parse_networks(tuple(value))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not _is_public(embedded):
            return False
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in _SHARED
        or (address.version == 6 and address in _SITE_LOCAL)
        or not address.is_global
    )


def address_allowed(address: str | IPAddress, networks: Sequence[IPNetwork] | None = None) -> bool:
    """True for a public address, or one inside ``OUTBOUND_ALLOWED_NETWORKS``."""
    if isinstance(address, str):
        address = ipaddress.ip_address(address.split("%", 1)[0])  # fe80::1%eth0: drop the zone
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        mapped = address.ipv4_mapped
        if any(mapped in network for network in (allowed_networks() if networks is None else networks)):
            return True
    for network in allowed_networks() if networks is None else networks:
        if address.version == network.version and address in network:
            return True
    return _is_public(address)


# --- Deadlines -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Limit:
    until: float  # time.monotonic()
    seconds: float

    def remaining(self) -> float:
        return self.until - time.monotonic()


_LIMIT: ContextVar[_Limit | None] = ContextVar("outbound_deadline", default=None)


def default_deadline() -> float:
    """``OUTBOUND_DEADLINE_SECONDS``: how long one outbound request may take from connect to last byte."""
    return float(settings.OUTBOUND_DEADLINE_SECONDS)


@contextmanager
def deadline(seconds: float | None = None) -> Iterator[_Limit]:
    """Every outbound connect, send and receive inside ends ``seconds`` from now (default
    ``OUTBOUND_DEADLINE_SECONDS``), whatever the per-read timeouts; an enclosing earlier deadline wins."""
    seconds = default_deadline() if seconds is None else seconds
    limit = _Limit(until=time.monotonic() + seconds, seconds=seconds)
    outer = _LIMIT.get()
    if outer is not None and outer.until <= limit.until:
        limit = outer
    token = _LIMIT.set(limit)
    try:
        yield limit
    finally:
        _LIMIT.reset(token)


@contextmanager
def _within(limit: _Limit) -> Iterator[None]:
    token = _LIMIT.set(limit)
    try:
        yield
    finally:
        _LIMIT.reset(token)


def _clamp(timeout: float | None) -> float | None:
    """``timeout`` cut to what is left of the current deadline; ``DeadlineExceeded`` when nothing is left."""
    limit = _LIMIT.get()
    if limit is None:
        return timeout
    remaining = limit.remaining()
    if remaining <= 0:
        raise DeadlineExceeded(limit.seconds)
    return remaining if timeout is None or timeout > remaining else timeout


def deadline_exceeded(exc: BaseException) -> DeadlineExceeded | None:
    """The ``DeadlineExceeded`` behind ``exc`` (the clients wrap it in their own timeout errors), if any."""
    return next((cause for cause in _causes(exc) if isinstance(cause, DeadlineExceeded)), None)


class _DeadlineMixin:
    """Socket operations that wait no longer than the current deadline (see ``deadline()``)."""

    gettimeout: Callable[[], float | None]
    settimeout: Callable[[float | None], None]

    def _bounded(self, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        limit = _LIMIT.get()
        if limit is None:
            return operation(*args, **kwargs)
        previous = self.gettimeout()
        timeout = _clamp(previous)
        if timeout == previous:
            return operation(*args, **kwargs)
        self.settimeout(timeout)
        try:
            return operation(*args, **kwargs)
        except TimeoutError as exc:
            raise DeadlineExceeded(limit.seconds) from exc
        finally:
            self.settimeout(previous)

    def recv(self, *args: Any, **kwargs: Any) -> Any:
        return self._bounded(super().recv, *args, **kwargs)  # type: ignore[misc]

    def recv_into(self, *args: Any, **kwargs: Any) -> Any:
        return self._bounded(super().recv_into, *args, **kwargs)  # type: ignore[misc]

    def send(self, *args: Any, **kwargs: Any) -> Any:
        return self._bounded(super().send, *args, **kwargs)  # type: ignore[misc]

    def sendall(self, *args: Any, **kwargs: Any) -> Any:
        return self._bounded(super().sendall, *args, **kwargs)  # type: ignore[misc]


class _DeadlineSocket(_DeadlineMixin, socket.socket):
    pass


class _DeadlineSSLSocket(_DeadlineMixin, ssl.SSLSocket):
    pass


def _refuse_compressed(headers: Mapping[str, str]) -> None:
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise CompressedResponse()


# --- Connecting ------------------------------------------------------------------------------------


def guarded_connect(
    host: str,
    port: int,
    timeout: float | None = None,
    source_address: tuple[str, int] | None = None,
    socket_options: Iterable[Any] | None = None,
) -> socket.socket:
    """``socket.create_connection`` that refuses hosts with a non-public address and dials what it checked.

    Raises ``OutboundBlocked`` when any address of ``host`` is refused (a name that
    resolves to a public and a private address is refused: it is either a mistake or
    an attack), ``socket.gaierror`` when the name does not resolve, ``OSError`` when no
    address accepts the connection.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    networks = allowed_networks()
    for *_, sockaddr in infos:
        if not address_allowed(str(sockaddr[0]), networks):
            raise OutboundBlocked()
    last_error: OSError | None = None
    for family, kind, proto, _, sockaddr in infos:
        timeout = _clamp(timeout)
        sock = _DeadlineSocket(family, kind, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address is not None:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        return sock
    raise last_error or OSError(errno.EHOSTUNREACH, "no address to connect to")


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend with the guard's resolver and connect."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        source = None if local_address is None else (local_address, 0)
        try:
            sock = guarded_connect(host, port, timeout, source, socket_options)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return SyncStream(sock)

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise OutboundBlocked("Outbound requests cannot use local sockets.")


class _BoundedStream(httpx.SyncByteStream):
    """A response body read within its request's deadline and up to ``max_bytes``."""

    def __init__(self, inner: httpx.SyncByteStream, limit: _Limit, max_bytes: int) -> None:
        self._inner, self._limit, self._max_bytes = inner, limit, max_bytes

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._inner)
        received = 0
        while True:
            with _within(self._limit):
                chunk = next(chunks, None)
            if chunk is None:
                return
            received += len(chunk)
            if received > self._max_bytes:
                raise _too_large(self._max_bytes)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport whose connection pool opens every connection through the guard, and whose every
    request asks for an uncompressed answer, ends by its deadline and reads at most ``max_bytes``."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        http2: bool = False,
        limits: httpx.Limits | None = None,
        retries: int = 0,
        deadline: float | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=20, max_keepalive_connections=10)
        super().__init__(verify=verify, cert=cert, trust_env=False, http2=http2, limits=limits, retries=retries)
        ssl_context = httpx.create_ssl_context(verify=verify, cert=cert, trust_env=False)
        ssl_context.sslsocket_class = _DeadlineSSLSocket  # TLS reads and writes keep the deadline too
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            retries=retries,
            network_backend=_GuardedBackend(),
        )
        self._deadline, self._max_bytes = deadline, max_bytes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["Accept-Encoding"] = "identity"
        with deadline(self._deadline) as limit:
            response = super().handle_request(request)
        try:
            _refuse_compressed(response.headers)
        except CompressedResponse:
            response.close()
            raise
        response.stream = _BoundedStream(response.stream, limit, self._max_bytes)  # type: ignore[arg-type]
        return response


_TRANSPORT_ARGUMENTS = ("verify", "cert", "http2", "limits", "deadline", "max_bytes")
_REFUSED_ARGUMENTS = ("transport", "mounts", "proxy", "trust_env", "app")


def httpx_client(**kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` whose every connection (first request and each redirect) passes the guard.

    Takes ``httpx.Client``'s arguments (``timeout`` defaults to 10 s, per connect or read) except
    the ones that would bypass the guard (``transport``, ``mounts``, ``proxy``, ``trust_env``,
    ``app``), and ``deadline`` (seconds for each request from connect to its last byte; default
    ``OUTBOUND_DEADLINE_SECONDS``) and ``max_bytes`` (largest body read; default 10 MB).
    """
    refused = sorted(set(kwargs) & set(_REFUSED_ARGUMENTS))
    if refused:
        raise TypeError(f"httpx_client() does not take {', '.join(refused)}: it would bypass the outbound guard")
    transport_kwargs = {name: kwargs.pop(name) for name in _TRANSPORT_ARGUMENTS if name in kwargs}
    kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
    kwargs.setdefault("max_redirects", MAX_REDIRECTS)
    return httpx.Client(transport=_GuardedTransport(**transport_kwargs), trust_env=False, **kwargs)


# --- requests (urllib3) ----------------------------------------------------------------------------


class _GuardedConnectionMixin:
    _dns_host: str
    port: int
    timeout: float | None
    source_address: tuple[str, int] | None
    socket_options: Any
    host: str

    def _new_conn(self) -> socket.socket:
        try:
            return guarded_connect(self._dns_host, self.port, self.timeout, self.source_address, self.socket_options)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc  # type: ignore[arg-type]


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        if type(self.sock) is ssl.SSLSocket:  # urllib3 wraps our socket in a plain SSLSocket: keep the deadline
            self.sock.__class__ = _DeadlineSSLSocket


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


def _read_body(response: requests.Response, max_bytes: int) -> bytes:
    """The raw body of a response sent with ``stream=True``, or ``ResponseTooLarge`` past ``max_bytes``."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    received = 0
    try:
        for chunk in response.raw.stream(65536, decode_content=False):
            received += len(chunk)
            if received > max_bytes:
                raise _too_large(max_bytes)
            chunks.append(chunk)
    except ReadTimeoutError as exc:  # what requests itself turns urllib3's errors into
        raise requests.ReadTimeout(exc, request=response.request) from exc
    except (ProtocolError, OSError) as exc:
        raise requests.ConnectionError(exc, request=response.request) from exc
    return b"".join(chunks)


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections pass the guard and whose every request asks for an
    uncompressed answer, ends by its deadline and reads at most ``max_bytes`` (the body is read
    here, so ``response.content`` never waits; ``stream=True`` callers get it from memory).
    A request without a timeout gets 10 s per connect or read."""

    def __init__(self, *, deadline: float | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        super().__init__()
        self._deadline, self._max_bytes = deadline, max_bytes

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPConnectionPool,
            "https": _GuardedHTTPSConnectionPool,
        }

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise OutboundBlocked("Outbound requests do not go through proxies.")

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        request.headers["Accept-Encoding"] = "identity"
        with deadline(self._deadline):
            response = super().send(request, stream=True, timeout=timeout or DEFAULT_TIMEOUT, **kwargs)
            try:
                _refuse_compressed(response.headers)
                body = _read_body(response, self._max_bytes)
            except BaseException:
                response.close()
                raise
        response._content = body
        response._content_consumed = True  # type: ignore[attr-defined]  # requests reads .content from here
        return response


def guard_session(
    session: requests.Session, *, deadline: float | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> requests.Session:
    """Put the guard on an existing session (e.g. the one a Jira or Zendesk client built); ``deadline``
    (default ``OUTBOUND_DEADLINE_SECONDS``) and ``max_bytes`` bound each of its requests."""
    adapter = GuardedAdapter(deadline=deadline, max_bytes=max_bytes)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False  # no proxies or .netrc from the environment
    session.proxies.clear()
    session.max_redirects = MAX_REDIRECTS
    return session


def requests_session() -> requests.Session:
    """A ``requests.Session`` whose every connection (first request and each redirect) passes the guard."""
    return guard_session(requests.Session())


# --- Reading and explaining ------------------------------------------------------------------------


def _too_large(max_bytes: int) -> ResponseTooLarge:
    size = f"{max_bytes / 1024 / 1024:.0f} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes // 1024} KB"
    return ResponseTooLarge(f"The response is larger than {size}, the most the helpdesk reads.")


def read_limited(response: httpx.Response | requests.Response, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The body of a streamed response, or ``ResponseTooLarge`` once it passes ``max_bytes``.

    Use with ``client.stream(...)`` (httpx) or ``session.get(..., stream=True)`` (requests):
    at most ``max_bytes`` plus one network chunk are read, whatever Content-Length says.
    """
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        response.close()
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    received = 0
    parts = response.iter_bytes() if isinstance(response, httpx.Response) else response.iter_content(65536)
    for chunk in parts:
        received += len(chunk)
        if received > max_bytes:
            response.close()
            raise _too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def read_start(response: httpx.Response, max_bytes: int) -> bytes:
    """At most the first ``max_bytes`` of a streamed response's body (an excerpt; the rest is never read)."""
    chunks: list[bytes] = []
    received = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        received += len(chunk)
        if received >= max_bytes:
            break
    return b"".join(chunks)[:max_bytes]


def _causes(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def describe_error(exc: BaseException, *, timeout: float | None = None) -> str:
    """A short, user-facing cause of a failed request (no addresses, ports or tracebacks)."""
    for cause in _causes(exc):
        if isinstance(cause, OutboundBlocked):
            return cause.reason
    if late := deadline_exceeded(exc):
        return f"the site {late.reason}"
    causes = list(_causes(exc))
    if any(isinstance(c, socket.gaierror) for c in causes):
        return "the host name could not be resolved (DNS lookup failed)"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "the connection was refused (nothing answers at that address)"
    if any(isinstance(c, (ssl.SSLError, ssl.CertificateError)) for c in causes):
        return "the secure connection failed (TLS handshake or certificate problem)"
    if any(isinstance(c, (TimeoutError, httpx.TimeoutException, requests.Timeout)) for c in causes):
        within = f" within {timeout:g} s" if timeout else " in time"
        return f"the site did not answer{within} (timeout)"
    if isinstance(exc, httpx.TooManyRedirects | requests.TooManyRedirects):
        return "the site redirected too many times"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"the site answered HTTP {exc.response.status_code}"
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"the site answered HTTP {exc.response.status_code}"
    if any(isinstance(c, (ConnectionError, OSError, httpx.ConnectError, requests.ConnectionError)) for c in causes):
        return "the connection to the site failed"
    if isinstance(exc, httpx.HTTPError | requests.RequestException):
        return "the request to the site failed"
    return "the request failed unexpectedly"
