import json
import logging

from django.test import Client, RequestFactory

from conftest import ACME_HOST


def test_base_page_loads_local_assets_and_sends_csrf_with_htmx(agent_client):
    html = agent_client.get("/").content.decode()
    assert '<meta name="viewport"' in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert "/static/vendor/pico/pico.min.css" in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "http://" not in html.split("<body")[0] and "https://" not in html.split("<body")[0]


def test_front_end_packages_are_served(db):
    client = Client(HTTP_HOST=ACME_HOST)
    for path in ["/static/vendor/htmx/htmx.min.js", "/static/vendor/pico/pico.min.css", "/static/css/app.css"]:
        response = client.get(path)
        assert response.status_code == 200, path


def test_navigation_shows_admin_only_to_staff(agent_client, manager_client):
    assert b'href="/admin/"' not in agent_client.get("/").content
    assert b'href="/admin/"' in manager_client.get("/").content


def test_messages_are_shown(manager_client):
    response = manager_client.post("/admin/accounts/apikey/add/", {"name": "shown"}, follow=True)
    assert b'class="message' in response.content or b"messagelist" in response.content


def test_error_pages_render(db):
    from django.template.loader import render_to_string
    from django.views.defaults import permission_denied, server_error

    request = RequestFactory().get("/x")
    assert b"Not allowed" in permission_denied(request, Exception()).content
    assert b"Something went wrong" in server_error(request).content
    assert "Page not found" in render_to_string("404.html", {"request": request})


def test_logs_are_json_with_request_id_and_tenant(db, settings):
    from django.http import HttpResponse
    from django_tenants.utils import schema_context
    from pythonjsonlogger.json import JsonFormatter

    from helpdesk.logging import ContextFilter, RequestContextMiddleware

    spec = settings.LOGGING["formatters"]["json"]
    formatter = JsonFormatter(spec["fmt"], rename_fields=spec["rename_fields"])
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(formatter.format(record))

    capture = Capture()
    capture.addFilter(ContextFilter())
    logger = logging.getLogger("helpdesk.test")
    logger.addHandler(capture)
    logger.setLevel(logging.INFO)

    def view(request):
        logger.info("inside the request")
        return HttpResponse("ok")

    try:
        with schema_context("acme"):
            response = RequestContextMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="req-42"))
    finally:
        logger.removeHandler(capture)
    line = json.loads(lines[0])
    assert response["X-Request-ID"] == "req-42"
    assert line["message"] == "inside the request"
    assert line["request_id"] == "req-42"
    assert line["tenant"] == "acme"
    assert line["level"] == "INFO"
