import socket
from typing import Any

import pytest

from knowledge.crawl import crawl
from knowledge.extract import ExtractionError
from tests.fakeweb import FakeWeb, closed_port


def run(site, **overrides):
    options = {"max_pages": 20, "max_depth": 2, "timeout": 0.5, "user_agent": "HelpdeskKB-test"}
    return crawl(site.url("/index.html"), **{**options, **overrides})


def test_crawl_follows_links_on_one_site_within_depth(local_site):
    result = run(local_site)
    urls = [url for url, _ in result.pages]
    assert urls == [
        local_site.url("/index.html"),
        local_site.url("/orders.html"),
        local_site.url("/account.html"),
        local_site.url("/orders/tracking.html"),
    ]
    assert local_site.url("/orders/deep.html") not in urls  # depth 3
    assert not any("elsewhere.invalid" in url for url in urls + list(result.skipped))
    assert result.skipped[local_site.url("/")] == "same content as a page already crawled"


def test_crawl_honours_robots_txt(local_site):
    result = run(local_site)
    assert result.skipped[local_site.url("/private/secret.html")] == "disallowed by robots.txt"


def test_slow_and_non_html_pages_are_skipped_with_reasons(local_site):
    result = run(local_site)
    assert result.skipped[local_site.url("/slow.html")] == "the site did not answer within 0.5 s (timeout)"
    assert result.skipped[local_site.url("/manual.pdf")].startswith("not HTML")


def test_page_and_depth_limits(local_site):
    assert len(run(local_site, max_pages=2).pages) == 2
    assert [url for url, _ in run(local_site, max_depth=0).pages] == [local_site.url("/index.html")]


def test_pages_become_sections_with_their_url(local_site):
    extracted = run(local_site).as_extracted()
    assert extracted.pages == 4 and extracted.title == "Help center"
    tracking = next(s for s in extracted.sections if s.metadata["url"].endswith("tracking.html"))
    assert tracking.heading.startswith("Tracking") and "tracking number" in tracking.paragraphs[0]


def test_missing_robots_txt_allows_everything(local_site):
    (local_site.root / "robots.txt").unlink()
    urls = [url for url, _ in run(local_site).pages]
    assert local_site.url("/private/secret.html") in urls


# --- Safe outbound requests and real causes ------------------------------------------------

HTML = b"<html><head><title>Docs</title></head><body><article><h1>Docs</h1><p>%s</p></article></body></html>"
OPTIONS: dict[str, Any] = {"max_pages": 5, "max_depth": 1, "timeout": 0.5, "user_agent": "x"}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://127.0.0.2:{port}/",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
    ],
)
def test_internal_targets_are_refused_with_a_reason_that_echoes_nothing(url, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    with FakeWeb(host="127.0.0.2") as internal:
        internal.route("/", body=HTML % b"Internal wiki")
        target = url.format(port=internal.port)
        with pytest.raises(ExtractionError) as caught:
            crawl(target, **OPTIONS)
    message = str(caught.value).replace(target, "")
    assert "private or internal network" in message
    assert "robots" not in message and "127.0.0" not in message and str(internal.port) not in message
    assert internal.hits == []


def test_robots_redirect_into_the_network_is_refused_and_pages_never_leave_the_site(allow_loopback):
    with FakeWeb(host="127.0.0.2") as internal, FakeWeb() as site:
        site.route("/robots.txt", status=302, headers={"Location": internal.url("/robots.txt")})
        with pytest.raises(ExtractionError, match="private or internal network"):
            crawl(site.url("/"), **OPTIONS)
        assert internal.hits == []

        site.route("/robots.txt", status=404)
        site.route("/", body=HTML % b'Start. <a href="/meta">metadata</a> <a href="/hop">hop</a>')
        site.route("/meta", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        site.route("/hop", status=301, headers={"Location": internal.url("/")})
        result = crawl(site.url("/"), **OPTIONS)
        assert [url for url, _ in result.pages] == [site.url("/")]
        assert result.skipped[site.url("/meta")] == "redirected to another site, which is not crawled"
        assert result.skipped[site.url("/hop")] == "redirected to another site, which is not crawled"
        assert internal.hits == []


def test_same_site_redirects_are_followed(allow_loopback):
    with FakeWeb() as site:
        site.route("/", status=301, headers={"Location": "/docs/"})
        site.route("/docs/", body=HTML % b"Parcels ship within one business day from the warehouse.")
        result = crawl(site.url("/"), **OPTIONS)
    assert [url for url, _ in result.pages] == [site.url("/docs/")]


def test_unreachable_site_reports_the_real_cause(allow_loopback, monkeypatch):
    with pytest.raises(ExtractionError) as refused:
        crawl(f"http://127.0.0.1:{closed_port()}/", **OPTIONS)
    assert str(refused.value) == (
        "The site 127.0.0.1 cannot be reached: the connection was refused (nothing answers at that address)."
    )

    with FakeWeb() as slow:
        slow.route("/robots.txt", status=404, delay=1.5)
        with pytest.raises(ExtractionError, match=r"did not answer within 0.5 s \(timeout\)"):
            crawl(slow.url("/"), **OPTIONS)

    with FakeWeb() as failing:
        failing.route("/robots.txt", status=503)
        with pytest.raises(ExtractionError, match=r"answered HTTP 503 for robots\.txt"):
            crawl(failing.url("/"), **OPTIONS)

    def no_such_host(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with pytest.raises(ExtractionError, match=r"help.example.com cannot be reached: .*DNS lookup failed"):
        crawl("https://help.example.com/", **OPTIONS)


def test_start_page_errors_name_the_http_status(allow_loopback):
    with FakeWeb() as site:
        site.route("/robots.txt", status=404)
        with pytest.raises(ExtractionError, match=r"No page of .* could be indexed \(.*: HTTP 404\)"):
            crawl(site.url("/missing"), **OPTIONS)


def test_pages_above_the_size_cap_are_skipped_unread(allow_loopback):
    with FakeWeb() as site:
        filler = b"Shipping takes three to five days. " * 2000  # ~70 KB
        site.route("/", body=HTML % b'Start page of the help center. <a href="/huge">huge</a>')
        site.route("/huge", body=HTML % filler, send_length=False)
        result = crawl(site.url("/"), **{**OPTIONS, "max_page_bytes": 32 * 1024})
    assert [url for url, _ in result.pages] == [site.url("/")]
    assert result.skipped[site.url("/huge")] == "The response is larger than 32 KB, the most the helpdesk reads."
