import socket

import pytest
from django.test import Client

from conftest import ACME_HOST
from helpdesk import devstack


@pytest.mark.parametrize("host", ["localhost", ACME_HOST])
def test_health_answers_ok_on_public_and_tenant_hosts(db, host):
    response = Client(HTTP_HOST=host).get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_deps_are_ok_with_a_running_worker(db, celery_worker):
    response = Client(HTTP_HOST=ACME_HOST).get("/health/deps")
    body = response.json()
    assert response.status_code == 200, body
    for name in ("database", "redis", "celery"):
        assert body[name]["ok"] is True
        assert body[name]["error"] is None
        assert body[name]["latency_ms"] >= 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def stopped_redis(db, settings, tmp_path):
    """Settings pointing at a Redis that was just stopped (its own port: the suite's stays up)."""
    port = _free_port()
    lay = devstack.Layout(tmp_path)
    assert devstack.redis_start(port, lay) is True
    settings.REDIS_URL = settings.CELERY_BROKER_URL = devstack.redis_url(port)
    assert devstack.redis_stop(port, lay) is True
    yield port
    devstack.redis_stop(port, lay)


def test_deps_answer_503_and_tell_operators_why_when_redis_is_stopped(stopped_redis, settings):
    settings.METRICS_TOKEN = "ops-token"
    response = Client(HTTP_HOST=ACME_HOST).get("/health/deps", headers={"Authorization": "Bearer ops-token"})
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["database"]["ok"] is True
    assert body["redis"]["ok"] is False
    assert "Connection refused" in body["redis"]["error"] or "Error 111" in body["redis"]["error"]
    assert body["celery"]["ok"] is False and body["celery"]["error"]


def test_deps_name_the_failing_dependency_but_not_its_internals_to_anyone_else(stopped_redis, settings):
    settings.METRICS_TOKEN = "ops-token"
    for headers in ({}, {"Authorization": "Bearer wrong-token"}):
        response = Client(HTTP_HOST=ACME_HOST).get("/health/deps", headers=headers)
        assert response.status_code == 503
        body = response.json()
        assert body["redis"]["ok"] is False and body["redis"]["error"]
        text = response.content.decode()
        assert str(stopped_redis) not in text and "127.0.0.1" not in text and "Connection refused" not in text


def test_a_proxy_left_out_of_proxy_count_opens_no_details(stopped_redis, settings):
    # A local proxy with PROXY_COUNT=0: every client arrives from 127.0.0.1, an allowed address.
    settings.PROXY_COUNT = 0
    proxied = Client(HTTP_HOST="localhost", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxied.get("/metrics").status_code == 404
    body = proxied.get("/health/deps").json()
    assert body["redis"]["ok"] is False and "failing (details for operators" in body["redis"]["error"]
    other = Client(HTTP_HOST="localhost", REMOTE_ADDR="127.0.0.1")
    for header in ("Forwarded", "X-Real-IP"):
        assert other.get("/metrics", headers={header: "for=203.0.113.9"}).status_code == 404
    # A scraper on the same machine talking to the app directly still gets both.
    direct = Client(HTTP_HOST="localhost", REMOTE_ADDR="127.0.0.1")
    assert direct.get("/metrics").status_code == 200
    assert "failing (details" not in direct.get("/health/deps").json()["redis"]["error"]
    # PROXY_COUNT=2 with one hop: the address seen is a proxy's, not the client's.
    settings.PROXY_COUNT = 2
    assert proxied.get("/metrics").status_code == 404
    settings.PROXY_COUNT = 1  # configured: the client is 203.0.113.9, not allowed
    assert proxied.get("/metrics").status_code == 404
    local = Client(HTTP_HOST="localhost", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert local.get("/metrics").status_code == 200  # ... and one on the proxy's machine is


def test_optional_dependency_failure_keeps_200(db, settings, tmp_path):
    settings.REDIS_URL = settings.CELERY_BROKER_URL = devstack.redis_url(_free_port())
    settings.HEALTH_REQUIRED = ["database"]
    response = Client(HTTP_HOST=ACME_HOST).get("/health/deps")
    assert response.status_code == 200
    assert response.json()["redis"]["ok"] is False


def test_metrics_on_the_public_host_from_an_allowed_address(db):
    client = Client(HTTP_HOST="localhost")  # the test client's REMOTE_ADDR is 127.0.0.1
    client.get("/health")
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "django_db_execute_total" in text  # the tenant backend wraps the prometheus one


def test_metrics_are_not_found_for_other_addresses_and_on_tenant_hosts_without_the_token(db, settings):
    settings.METRICS_TOKEN = "scrape-token"
    assert Client(HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 404
    assert Client(HTTP_HOST=ACME_HOST).get("/metrics").status_code == 404  # even from 127.0.0.1
    wrong = {"Authorization": "Bearer scrape-tokenX"}
    assert Client(HTTP_HOST=ACME_HOST).get("/metrics", headers=wrong).status_code == 404
    settings.METRICS_TOKEN = ""  # no token configured: an empty bearer must not match it
    assert Client(HTTP_HOST=ACME_HOST).get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_allowed_networks_and_the_token_from_anywhere(db, settings):
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16"]
    settings.METRICS_TOKEN = "scrape-token"
    assert Client(HTTP_HOST="localhost", REMOTE_ADDR="10.20.3.4").get("/metrics").status_code == 200
    assert Client(HTTP_HOST="localhost").get("/metrics").status_code == 404  # 127.0.0.1 is no longer listed
    token = {"Authorization": "Bearer scrape-token"}
    assert Client(HTTP_HOST="localhost", REMOTE_ADDR="198.51.100.7").get("/metrics", headers=token).status_code == 200


def test_tenant_labelled_series_stay_off_tenant_hosts(db, settings):
    from tickets import metrics as ticket_metrics
    from tickets.services import BreachCount

    settings.METRICS_TOKEN = "scrape-token"
    ticket_metrics.sla_breaches_add(schema="acme", counts=BreachCount(first_response=2, resolution=0))
    ticket_metrics.sla_breaches_add(schema="globex", counts=BreachCount(first_response=0, resolution=3))
    token = {"Authorization": "Bearer scrape-token"}
    public = Client(HTTP_HOST="localhost").get("/metrics", headers=token).content.decode()
    assert 'tenant="acme"' in public and 'tenant="globex"' in public
    tenant = Client(HTTP_HOST=ACME_HOST).get("/metrics", headers=token)
    assert tenant.status_code == 200
    text = tenant.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "tenant=" not in text and "globex" not in text


def test_request_id_is_echoed_or_generated(db):
    client = Client(HTTP_HOST=ACME_HOST)
    assert client.get("/health", headers={"X-Request-ID": "abc-123"})["X-Request-ID"] == "abc-123"
    generated = client.get("/health", headers={"X-Request-ID": "bad id with spaces"})["X-Request-ID"]
    assert len(generated) == 32 and " " not in generated
