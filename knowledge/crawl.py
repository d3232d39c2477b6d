"""A polite crawl of one site: same host only, depth and page limits, robots.txt, timeouts.

Breadth-first from the start URL. Only HTML pages are kept; each page's main
content is extracted by trafilatura. Every connection goes through the outbound
guard (``helpdesk.outbound``): internal addresses are refused at the first request
and at every redirect hop, which the crawler follows itself (same host only).
Pages are read up to ``max_page_bytes``. Fetch errors of single pages are skipped
with their cause; a site that cannot be reached at all (DNS, refused, timeout,
refused by the guard) fails the crawl with that cause at once.
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

from helpdesk.outbound import (
    MAX_REDIRECTS,
    CompressedResponse,
    OutboundBlocked,
    ResponseTooLarge,
    describe_error,
    httpx_client,
    read_limited,
)
from knowledge.extract import Extracted, ExtractionError, Section, parse_html

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
DEFAULT_MAX_PAGE_BYTES = 5 * 1024 * 1024
ROBOTS_MAX_BYTES = 512 * 1024


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


class _Skip(Exception):
    """A page that is not kept; the message is the reason shown to the user."""


@dataclass
class _Page:
    url: str
    status: int
    content_type: str
    text: str = ""


def _fetch(
    client: httpx.Client, url: str, *, same_host: str | None, max_bytes: int, read: Callable[[str], bool]
) -> _Page:
    """GET ``url``, following up to MAX_REDIRECTS redirects itself (on ``same_host`` only, when given).

    The body is read (up to ``max_bytes``) only when ``read(content_type)`` says so.
    Raises ``_Skip``, ``OutboundBlocked`` or ``httpx.HTTPError``.
    """
    for _ in range(MAX_REDIRECTS + 1):
        with client.stream("GET", url) as response:
            if response.is_redirect:
                target = _normalise(urljoin(url, response.headers.get("location", "")))
                if urlsplit(target).scheme not in {"http", "https"}:
                    raise _Skip("redirected to something that is not a web page")
                if same_host is not None and urlsplit(target).netloc != same_host:
                    raise _Skip("redirected to another site, which is not crawled")
                url = target
                continue
            content_type = response.headers.get("content-type", "")
            page = _Page(url=url, status=response.status_code, content_type=content_type)
            if response.status_code < 400 and read(content_type):
                body = read_limited(response, max_bytes)
                page.text = body.decode(response.encoding or "utf-8", errors="replace")
            return page
    raise _Skip("the site redirected too many times")


def crawl(
    start_url: str,
    *,
    max_pages: int,
    max_depth: int,
    timeout: float,
    user_agent: str,
    max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES,
    on_page: Callable[[int], None] | None = None,
) -> CrawlResult:
    """Fetch up to ``max_pages`` HTML pages of ``start_url``'s host, at most ``max_depth`` links away.

    Raises ``ExtractionError`` with the cause when the site cannot be reached or no page
    could be indexed.
    """
    start_url = _normalise(start_url)
    origin = urlsplit(start_url)
    if origin.scheme not in {"http", "https"} or not origin.hostname:
        raise ExtractionError(f"{start_url} is not a web address (it must start with http:// or https://).")
    result = CrawlResult()
    with httpx_client(timeout=timeout, follow_redirects=False, headers={"User-Agent": user_agent}) as client:
        robots = _robots(client, start_url, timeout=timeout)
        queue: deque[tuple[str, int]] = deque([(start_url, 0)])
        seen = {start_url}
        contents: set[str] = set()  # the same page under two URLs (/ and /index.html) is kept once
        while queue and len(result.pages) < max_pages:
            url, depth = queue.popleft()
            if robots is not None and not robots.can_fetch(user_agent, url):
                result.skipped[url] = "disallowed by robots.txt"
                continue
            try:
                page = _fetch(
                    client,
                    url,
                    same_host=origin.netloc,
                    max_bytes=max_page_bytes,
                    read=lambda content_type: content_type.startswith(HTML_TYPES),
                )
            except (_Skip, OutboundBlocked) as exc:
                result.skipped[url] = str(exc)
                continue
            except httpx.HTTPError as exc:
                result.skipped[url] = describe_error(exc, timeout=timeout)
                continue
            if page.status >= 400:
                result.skipped[url] = f"HTTP {page.status}"
                continue
            if not page.content_type.startswith(HTML_TYPES):
                result.skipped[url] = f"not HTML ({page.content_type or 'no type'})"
                continue
            try:
                extracted = parse_html(page.text, url=page.url)
            except ExtractionError as exc:
                result.skipped[url] = str(exc)
            else:
                if extracted.text in contents:
                    result.skipped[url] = "same content as a page already crawled"
                else:
                    contents.add(extracted.text)
                    result.pages.append((page.url, extracted))
            if on_page:
                on_page(len(result.pages))
            if depth < max_depth:
                for link in _links(page.url, page.text):
                    if urlsplit(link).netloc == origin.netloc and link not in seen:
                        seen.add(link)
                        queue.append((link, depth + 1))
    if not result.pages:
        reasons = "; ".join(f"{u}: {r}" for u, r in list(result.skipped.items())[:3])
        raise ExtractionError(f"No page of {start_url} could be indexed ({reasons or 'nothing found'}).")
    return result


def _robots(client: httpx.Client, start_url: str, *, timeout: float) -> RobotFileParser | None:
    """robots.txt of the site; missing (4xx) allows everything.

    A site that cannot be reached (refused by the guard, DNS, connection, timeout) or
    whose robots.txt fails with 5xx fails the crawl here with that cause, rather than
    reporting every page as disallowed.
    """
    parts = urlsplit(start_url)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    try:
        page = _fetch(client, robots_url, same_host=None, max_bytes=ROBOTS_MAX_BYTES, read=lambda _: True)
    except (ResponseTooLarge, CompressedResponse) as exc:
        logger.info("robots.txt of %s not read (%s); ignored", parts.netloc, exc)
        return None
    except OutboundBlocked as exc:
        raise ExtractionError(f"{start_url} cannot be crawled: {exc.reason}") from None
    except _Skip as exc:
        logger.info("robots.txt of %s not followed: %s", parts.netloc, exc)
        return None
    except httpx.HTTPError as exc:
        raise ExtractionError(
            f"The site {parts.hostname} cannot be reached: {describe_error(exc, timeout=timeout)}."
        ) from None
    if page.status >= 500:
        raise ExtractionError(
            f"The site {parts.hostname} answered HTTP {page.status} for robots.txt, which means crawling is "
            "not allowed for now; retry later."
        )
    if page.status >= 400:
        return None
    parser = RobotFileParser(robots_url)
    parser.parse(page.text.splitlines())
    return parser
