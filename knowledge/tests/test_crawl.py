import pytest

from knowledge.crawl import crawl
from knowledge.extract import ExtractionError


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
    assert "Timeout" in result.skipped[local_site.url("/slow.html")]
    assert result.skipped[local_site.url("/manual.pdf")].startswith("not HTML")


def test_page_and_depth_limits(local_site):
    assert len(run(local_site, max_pages=2).pages) == 2
    assert [url for url, _ in run(local_site, max_depth=0).pages] == [local_site.url("/index.html")]


def test_pages_become_sections_with_their_url(local_site):
    extracted = run(local_site).as_extracted()
    assert extracted.pages == 4 and extracted.title == "Help center"
    tracking = next(s for s in extracted.sections if s.metadata["url"].endswith("tracking.html"))
    assert tracking.heading.startswith("Tracking") and "tracking number" in tracking.paragraphs[0]


def test_unreachable_site_fails_with_a_reason(local_site):
    with pytest.raises(ExtractionError, match="No page of"):
        crawl("http://127.0.0.1:9/", max_pages=5, max_depth=1, timeout=0.5, user_agent="x")


def test_missing_robots_txt_allows_everything(local_site):
    (local_site.root / "robots.txt").unlink()
    urls = [url for url, _ in run(local_site).pages]
    assert local_site.url("/private/secret.html") in urls
