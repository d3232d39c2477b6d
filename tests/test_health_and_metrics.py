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


def test_deps_answer_503_with_the_reason_when_redis_is_stopped(db, settings, tmp_path):
    port = _free_port()
    lay = devstack.Layout(tmp_path)
    assert devstack.redis_start(port, lay) is True
    url = devstack.redis_url(port)
    settings.REDIS_URL = settings.CELERY_BROKER_URL = url
    try:
        assert devstack.redis_stop(port, lay) is True
        response = Client(HTTP_HOST=ACME_HOST).get("/health/deps")
    finally:
        devstack.redis_stop(port, lay)
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["database"]["ok"] is True
    assert body["redis"]["ok"] is False
    assert "Connection refused" in body["redis"]["error"] or "Error 111" in body["redis"]["error"]
    assert body["celery"]["ok"] is False and body["celery"]["error"]


def test_optional_dependency_failure_keeps_200(db, settings, tmp_path):
    settings.REDIS_URL = settings.CELERY_BROKER_URL = devstack.redis_url(_free_port())
    settings.HEALTH_REQUIRED = ["database"]
    response = Client(HTTP_HOST=ACME_HOST).get("/health/deps")
    assert response.status_code == 200
    assert response.json()["redis"]["ok"] is False


@pytest.mark.parametrize("host", ["localhost", ACME_HOST])
def test_metrics_are_exported_on_public_and_tenant_hosts(db, host):
    client = Client(HTTP_HOST=host)
    client.get("/health")
    text = client.get("/metrics").content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "django_db_execute_total" in text  # the tenant backend wraps the prometheus one


def test_request_id_is_echoed_or_generated(db):
    client = Client(HTTP_HOST=ACME_HOST)
    assert client.get("/health", headers={"X-Request-ID": "abc-123"})["X-Request-ID"] == "abc-123"
    generated = client.get("/health", headers={"X-Request-ID": "bad id with spaces"})["X-Request-ID"]
    assert len(generated) == 32 and " " not in generated
