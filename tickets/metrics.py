"""SLA breach counters in /metrics.

The beat task runs in a worker while /metrics is served by the web process, so the
counts live in Redis (one hash field per tenant and target) and a collector reads
them at scrape time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import redis
from django.conf import settings
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from tickets.services import BreachCount

METRIC = "helpdesk_tickets_sla_breaches"


def _key() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:tickets:sla_breaches"


def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.CACHE_URL, socket_timeout=1, socket_connect_timeout=1)


def sla_breaches_add(*, schema: str, counts: BreachCount) -> None:
    pipe = _client().pipeline()
    for target, value in (("first_response", counts.first_response), ("resolution", counts.resolution)):
        if value:
            pipe.hincrby(_key(), f"{schema}|{target}", value)
    pipe.execute()


def sla_breaches_read() -> dict[tuple[str, str], int]:
    raw = _client().hgetall(_key())
    result = {}
    for name, value in raw.items():
        schema, _, target = name.decode().partition("|")
        result[(schema, target)] = int(value)
    return result


def _family() -> CounterMetricFamily:
    return CounterMetricFamily(METRIC, "Tickets marked as breaching an SLA target", labels=["tenant", "target"])


class SLABreachCollector(Collector):
    def describe(self) -> Iterator[CounterMetricFamily]:
        yield _family()  # lets the registry learn the name without reading Redis

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = _family()
        try:
            counts = sla_breaches_read()
        except redis.RedisError:
            counts = {}  # /metrics must answer even when Redis is down; /health/deps reports that
        for (schema, target), value in sorted(counts.items()):
            family.add_metric([schema, target], value)
        yield family


_registered = False


def register() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(SLABreachCollector())
        _registered = True
