"""Server-sent events: the wire format and a response that proxies do not buffer."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.http import StreamingHttpResponse


def sse_event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def sse_response(events: Iterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # let nginx pass events through as they come
    return response
