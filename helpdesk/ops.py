"""Who may read the operations endpoints, and /metrics itself.

- ``/metrics`` answers with ``Authorization: Bearer <METRICS_TOKEN>``, or on the public host to a
  client in ``METRICS_ALLOWED_IPS``; anyone else gets a 404, as for a page that does not exist.
  On a tenant host even the token shows no series labelled with a tenant (other tenants' names
  and counts are not that tenant's business).
- ``/health/deps`` tells everyone which dependency fails, and the error text only to the same
  operators (it names internal hosts and ports).
- An address counts only when it is the client's own: behind a proxy that ``PROXY_COUNT`` does not
  account for, every client would have the proxy's address (often 127.0.0.1, which is allowed).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator
from functools import cache

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from helpdesk.http import client_ip, client_ip_is_own
from helpdesk.tenants.middleware import is_public

# Label names that carry a tenant; series with one stay off tenant hosts.
TENANT_LABELS = frozenset({"tenant", "schema", "tenant_schema"})


@cache
def _allowed_networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address_allowed(request: HttpRequest) -> bool:
    if not client_ip_is_own(request):
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in _allowed_networks(tuple(settings.METRICS_ALLOWED_IPS)))


def _token_valid(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def ops_authorized(request: HttpRequest) -> bool:
    """The operator's token, or on the public host an allowed address or a signed-in platform admin."""
    if _token_valid(request):
        return True
    if not is_public(request):
        return False
    user = getattr(request, "user", None)
    return _address_allowed(request) or bool(user and user.is_authenticated and user.is_superuser)


def _registry() -> CollectorRegistry:
    """Every worker process's series (multiprocess mode under gunicorn), or this process's."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    # Collectors that compute their series at scrape time (SLA breaches from Redis) are not in the
    # shared files; the per-process ones (process, platform, GC) would describe one random worker.
    for collector in list(REGISTRY._collector_to_names):
        if not isinstance(collector, MetricWrapperBase) and type(collector).__module__.split(".")[0] != (
            "prometheus_client"
        ):
            registry.register(collector)
    return registry


class _WithoutTenants:
    """The series of ``source`` less those labelled with a tenant."""

    def __init__(self, source: Collector) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        for family in self.source.collect():
            samples = [s for s in family.samples if not TENANT_LABELS.intersection(s.labels)]
            if samples or not family.samples:
                family.samples = samples
                yield family


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not ops_authorized(request):
        raise Http404
    registry: Collector = _registry()
    if not is_public(request):
        registry = _WithoutTenants(registry)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
