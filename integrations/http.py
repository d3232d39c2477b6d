"""The one place where integrations get their HTTP sessions (switched to the outbound guard in one change)."""

from __future__ import annotations

import httpx
import requests


def requests_session() -> requests.Session:
    """A session for the Jira and Zendesk clients."""
    return requests.Session()


def httpx_client(*, timeout: float) -> httpx.Client:
    """A client for outgoing webhook deliveries."""
    return httpx.Client(timeout=timeout, follow_redirects=False)
