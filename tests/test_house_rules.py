"""Server-sent events are written in one place: ``helpdesk/sse.py`` (the wire format) and
``assistants/surfaces/streaming.py`` (an answer as `token` events and one `done`, public or not).

A stream written by hand elsewhere can send a website visitor what only staff may see (the
unverified sentences, the model's original text, the verifier's reasons), as the widget once did.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path

from assistants.surfaces.streaming import answer_events

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("assistants", "datasets", "helpdesk", "integrations", "knowledge", "mail", "tickets")
ALLOWED = {"helpdesk/sse.py", "assistants/surfaces/streaming.py"}
HAND_WRITTEN = re.compile(
    r"\bsse_event\b"  # the wire helper, called or imported
    r"|event:\s*(token|done|failure)\b"  # the wire format spelled out
    r"|content_type\s*=\s*[\"']text/event-stream"  # a stream response of its own
    r"|\byield\b.*[\"'](token|done|failure)[\"']"  # a token/done loop around another helper
)


def product_lines(root: Path) -> Iterator[tuple[str, int, str]]:
    """(file, line number, line) of the product code under ``root``: the apps without tests and migrations."""
    for path in sorted(path for app in PRODUCT for path in (root / app).rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if "/tests/" not in relative and "/migrations/" not in relative:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                yield relative, number, line


def _offenders(root: Path) -> list[str]:
    return [
        f"{relative}:{number}: {line.strip()}"
        for relative, number, line in product_lines(root)
        if relative not in ALLOWED and HAND_WRITTEN.search(line)
    ]


def test_answers_stream_only_through_the_one_helper():
    assert _offenders(ROOT) == []


def test_the_check_finds_a_hand_written_stream(tmp_path):
    surfaces = tmp_path / "assistants" / "surfaces"
    surfaces.mkdir(parents=True)
    lines = [
        "from helpdesk.sse import sse_event, sse_response",
        'yield sse_event("done", event.as_dict())',
        'yield f"event: token\\ndata: {json.dumps(piece)}\\n\\n"',
        'return StreamingHttpResponse(events(), content_type="text/event-stream")',
        'yield encode("token", {"text": event})',
    ]
    fine = ["return sse_response(answer_events(started(events), public=True))", 'token = request.GET.get("token")']
    (surfaces / "kiosk.py").write_text("\n".join([*lines, *fine]) + "\n")
    (tmp_path / "helpdesk").mkdir()
    (tmp_path / "helpdesk" / "sse.py").write_text('def sse_event(name, data):\n    return f"event: {name}"\n')
    assert [line.split(": ", 1)[1] for line in _offenders(tmp_path)] == lines


def test_every_stream_says_who_reads_it():
    """``public`` has no default: a surface cannot stream an answer without choosing."""
    public = inspect.signature(answer_events).parameters["public"]
    assert public.kind is inspect.Parameter.KEYWORD_ONLY and public.default is inspect.Parameter.empty
