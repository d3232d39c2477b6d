"""Integration metrics in /metrics: sync counts, sync latency, outbox depth.

Syncs happen in workers and webhook requests while /metrics is served by the web process, so
counts and histogram buckets live in Redis (as the SLA breach counters do) and a collector reads
them at scrape time; the outbox depth is counted in each tenant's schema at scrape time.
"""

from __future__ import annotations

from collections.abc import Iterator

import redis
from django.conf import settings
from django.db import DatabaseError
from django_tenants.utils import schema_context
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from helpdesk.tenants.selectors import tenant_list
from integrations.selectors import outbox_depth_by_system

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _key(name: str) -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:integrations:{name}"


def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.CACHE_URL, socket_timeout=1, socket_connect_timeout=1)


def sync_observe(*, system: str, direction: str, status: str, seconds: float) -> None:
    """Count one sync and put its duration in the latency histogram; never fails the caller."""
    labels = f"{system}|{direction}"
    try:
        pipe = _client().pipeline()
        pipe.hincrby(_key("sync_total"), f"{labels}|{status}", 1)
        for bound in BUCKETS:
            if seconds <= bound:
                pipe.hincrby(_key("latency_buckets"), f"{labels}|{bound}", 1)
        pipe.hincrby(_key("latency_count"), labels, 1)
        pipe.hincrbyfloat(_key("latency_sum"), labels, seconds)
        pipe.execute()
    except redis.RedisError:
        pass  # /health/deps reports Redis; a sync must not fail because a counter could not move


def _hash(name: str) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in _client().hgetall(_key(name)).items()}


def _outbox_depth() -> dict[tuple[str, str], int]:
    depth = {}
    for tenant in tenant_list():
        with schema_context(tenant.schema_name):
            for system, count in outbox_depth_by_system().items():
                depth[(tenant.schema_name, system)] = count
    return depth


class IntegrationCollector(Collector):
    def describe(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily | GaugeMetricFamily]:
        yield CounterMetricFamily(
            "integration_sync",
            "Syncs with Jira, Zendesk and webhook receivers",
            labels=["system", "direction", "status"],
        )
        yield HistogramMetricFamily(
            "integration_sync_latency_seconds", "Duration of one sync", labels=["system", "direction"]
        )
        yield GaugeMetricFamily(
            "integration_outbox_depth", "Outbox rows waiting or running", labels=["tenant", "system"]
        )

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily | GaugeMetricFamily]:
        total = CounterMetricFamily(
            "integration_sync",
            "Syncs with Jira, Zendesk and webhook receivers",
            labels=["system", "direction", "status"],
        )
        latency = HistogramMetricFamily(
            "integration_sync_latency_seconds", "Duration of one sync", labels=["system", "direction"]
        )
        try:
            counts, buckets, n, sums = (
                _hash("sync_total"),
                _hash("latency_buckets"),
                _hash("latency_count"),
                _hash("latency_sum"),
            )
        except redis.RedisError:
            counts, buckets, n, sums = {}, {}, {}, {}
        for field, value in sorted(counts.items()):
            total.add_metric(field.split("|"), float(value))
        for labels, count in sorted(n.items()):
            cumulative = [(str(bound), float(buckets.get(f"{labels}|{bound}", 0))) for bound in BUCKETS]
            latency.add_metric(labels.split("|"), [*cumulative, ("+Inf", float(count))], float(sums.get(labels, 0)))
        yield total
        yield latency
        depth = GaugeMetricFamily(
            "integration_outbox_depth", "Outbox rows waiting or running", labels=["tenant", "system"]
        )
        try:
            for (schema, system), rows in sorted(_outbox_depth().items()):
                depth.add_metric([schema, system], rows)
        except DatabaseError:
            pass
        yield depth


_registered = False


def register() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(IntegrationCollector())
        _registered = True
