"""A polite crawl of one site: same host only, depth and page limits, robots.txt, timeouts.

Breadth-first from the start URL. Only HTML pages are kept; each page's main
content is extracted by trafilatura. Fetch errors of single pages are skipped
and counted; an unreachable start page fails the crawl with the reason.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx
from lxml import html as lxml_html

from knowledge.extract import Extracted, ExtractionError, Section, parse_html

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class CrawlResult:
    pages: list[tuple[str, Extracted]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # url -> reason

    def as_extracted(self) -> Extracted:
        """All pages as one document: each page's sections carry its URL (and its title as heading)."""
        sections: list[Section] = []
        for url, page in self.pages:
            for section in page.sections:
                heading = " > ".join(part for part in (page.title, section.heading) if part)
                sections.append(Section(heading=heading, paragraphs=section.paragraphs, metadata={"url": url}))
        title = self.pages[0][1].title if self.pages else ""
        return Extracted(sections=sections, pages=len(self.pages), title=title)


def _normalise(url: str) -> str:
    url = urldefrag(url)[0]
    parts = urlsplit(url)
    return parts._replace(path=parts.path or "/").geturl()


def _links(base_url: str, html: str) -> list[str]:
    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    hrefs = [urljoin(base_url, href) for href in tree.xpath("//a/@href") if isinstance(href, str)]
    return [_normalise(h) for h in hrefs if urlsplit(h).scheme in {"http", "https"}]


def crawl(
    start_url: str,
    *,
    max_pages: int,
    max_depth: int,
    timeout: float,
    user_agent: str,
    on_page: Callable[[int], None] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> CrawlResult:
    """Fetch up to ``max_pages`` HTML pages of ``start_url``'s host, at most ``max_depth`` links away."""
    start_url = _normalise(start_url)
    origin = urlsplit(start_url)
    result = CrawlResult()
    with httpx.Client(
        timeout=timeout, follow_redirects=True, headers={"User-Agent": user_agent}, transport=transport
    ) as client:
        robots = _robots(client, f"{origin.scheme}://{origin.netloc}/robots.txt")
        queue: deque[tuple[str, int]] = deque([(start_url, 0)])
        seen = {start_url}
        contents: set[str] = set()  # the same page under two URLs (/ and /index.html) is kept once
        while queue and len(result.pages) < max_pages:
            url, depth = queue.popleft()
            if robots is not None and not robots.can_fetch(user_agent, url):
                result.skipped[url] = "disallowed by robots.txt"
                continue
            try:
                response = client.get(url)
            except httpx.HTTPError as exc:
                result.skipped[url] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                continue
            final = urlsplit(str(response.url))
            if final.netloc != origin.netloc:
                result.skipped[url] = f"redirected off the site to {final.netloc}"
                continue
            if response.status_code >= 400:
                result.skipped[url] = f"HTTP {response.status_code}"
                continue
            if not response.headers.get("content-type", "").startswith(HTML_TYPES):
                result.skipped[url] = f"not HTML ({response.headers.get('content-type', 'no type')})"
                continue
            body = response.text
            try:
                page = parse_html(body, url=str(response.url))
            except ExtractionError as exc:
                result.skipped[url] = str(exc)
            else:
                if page.text in contents:
                    result.skipped[url] = "same content as a page already crawled"
                else:
                    contents.add(page.text)
                    result.pages.append((str(response.url), page))
            if on_page:
                on_page(len(result.pages))
            if depth < max_depth:
                for link in _links(str(response.url), body):
                    if urlsplit(link).netloc == origin.netloc and link not in seen:
                        seen.add(link)
                        queue.append((link, depth + 1))
    if not result.pages:
        reasons = "; ".join(f"{u}: {r}" for u, r in list(result.skipped.items())[:3])
        raise ExtractionError(f"No page of {start_url} could be indexed ({reasons or 'nothing found'}).")
    return result


def _robots(client: httpx.Client, robots_url: str) -> RobotFileParser | None:
    """robots.txt of the site; missing (4xx) allows everything, unreachable (5xx, timeout) allows nothing."""
    parser = RobotFileParser(robots_url)
    try:
        response = client.get(robots_url)
    except httpx.HTTPError:
        logger.warning("robots.txt unreachable at %s; crawling nothing", robots_url)
        parser.parse(["User-agent: *", "Disallow: /"])
        return parser
    if response.status_code >= 500:
        parser.parse(["User-agent: *", "Disallow: /"])
    elif response.status_code >= 400:
        return None
    else:
        parser.parse(response.text.splitlines())
    return parser
