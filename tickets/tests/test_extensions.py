"""The one way higher apps extend tickets (``tickets.extensions``): panels, attachment processors, listeners.

Tickets render and call what the apps registered in their ``AppConfig.ready()``, and no file of the
tickets app names a higher app.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import samples
from tickets import extensions, services

TICKETS = Path(__file__).resolve().parents[1]
HIGHER = ("assistants", "integrations", "datasets", "vision")
# A dotted path, template path or URL name that starts with a higher app: "assistants.x", "vision/x.html", "vision:x".
NAMED = re.compile(rf"""(?<![\w.])({"|".join(HIGHER)})[.:/]""")


@pytest.fixture
def registry(monkeypatch) -> None:
    """The registrations of this test stay in it."""
    monkeypatch.setattr(extensions, "_panels", dict(extensions._panels))
    monkeypatch.setattr(extensions, "_processors", dict(extensions._processors))
    monkeypatch.setattr(extensions, "_listeners", {event: list(fns) for event, fns in extensions._listeners.items()})


def _positions(html: str, *needles: str) -> list[int]:
    positions = [html.find(needle) for needle in needles]
    assert -1 not in positions, dict(zip(needles, positions, strict=True))
    return positions


def test_the_installed_apps_register_their_panels_processor_and_listeners():
    assert [(p.key, p.order) for p in extensions.panels()] == [("assistants", 10), ("integrations", 20)]
    assert [p.task for p in extensions.attachment_processors()] == ["assistants.vision.tasks.analyse_attachment"]
    assert all(extensions._listeners[event] for event in extensions.EVENTS)


def test_panels_render_in_their_order_on_the_ticket_page(registry, agent_client, ticket):
    extensions.register_panel("between", url_name="tickets:detail", title="Between", order=15)
    extensions.register_panel("hidden", url_name="tickets:detail", title="Hidden", permission="tickets.delete_ticket")
    html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    ai, between, linked, requester = _positions(
        html, 'id="ai-panel"', 'id="between-panel"', 'id="integrations-panel"', '<section class="requester">'
    )
    assert ai < between < linked < requester
    assert f'hx-get="/tickets/{ticket.number}/" hx-trigger="load" hx-swap="outerHTML"' in html
    assert 'id="hidden-panel"' not in html  # an agent may not delete tickets


def test_the_panels_keep_their_markup(agent_client, ticket):
    html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'hx-get="/assistants/tickets/{ticket.number}/panel/" hx-trigger="load" hx-swap="outerHTML"' in html
    assert '<noscript><p class="empty-state">The AI panel needs JavaScript.</p></noscript>' in html
    assert f'hx-get="/integrations/tickets/{ticket.number}/panel/" hx-trigger="load" hx-swap="outerHTML"' in html


def test_a_panel_takes_a_template_or_a_url_name():
    with pytest.raises(ValueError, match="either a template or a url_name"):
        extensions.register_panel("neither")
    with pytest.raises(ValueError, match="either a template or a url_name"):
        extensions.register_panel("both", template="x.html", url_name="tickets:detail")


def test_listeners_receive_the_ticket_events(registry, make_ticket, agent):
    heard: list[tuple[str, dict[str, Any]]] = []
    for event in extensions.EVENTS:
        extensions.register_listener(event, lambda event=event, **kwargs: heard.append((event, kwargs)))
    ticket = make_ticket()
    services.ticket_update(ticket=ticket, by=agent, priority="high")
    reply = services.reply_add(ticket=ticket, body="On it.", by=agent)
    assert [event for event, _ in heard] == ["ticket_created", "ticket_updated", "reply_created"]
    created, updated = heard[0][1], heard[1][1]
    assert created == {"ticket": ticket, "by": ticket.requester}
    assert updated["ticket"] == ticket and updated["by"] == agent
    assert [(e.field, e.old_value, e.new_value) for e in updated["changes"]] == [("priority", "normal", "high")]
    assert heard[-1][1] == {"reply": reply, "by": agent}


def test_a_listener_registers_once_and_only_for_known_events(registry):
    def listener(**kwargs: Any) -> None:
        pass

    extensions.register_listener(extensions.REPLY_CREATED, listener)
    extensions.register_listener(extensions.REPLY_CREATED, listener)  # ready() may run twice
    assert extensions._listeners[extensions.REPLY_CREATED].count(listener) == 1
    with pytest.raises(ValueError, match="Unknown ticket event"):
        extensions.register_listener("ticket_exploded", listener)
    with pytest.raises(ValueError, match="Unknown ticket event"):
        extensions.emit("ticket_exploded")


def test_an_attachment_processor_gets_each_new_attachment(
    registry, make_ticket, agent, media_root, published, django_capture_on_commit_callbacks
):
    extensions.register_attachment_processor("reader", task="reader.read_attachment")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(files=[SimpleUploadedFile("shot.png", samples.png_bytes())])
        services.reply_add(ticket=ticket, body="Log attached.", by=agent, files=[SimpleUploadedFile("a.log", b"ok\n")])
    ids = sorted(ticket.attachments.values_list("pk", flat=True))
    sent = [(name, args) for name, args, _ in published]
    assert sorted(args[0] for name, args in sent if name == "reader.read_attachment") == ids
    assert sorted(args[0] for name, args in sent if name == "assistants.vision.tasks.analyse_attachment") == ids


def test_an_attachment_processor_adds_its_details_to_the_api(registry, acme_api, ticket, agent, media_root):
    extensions.register_attachment_processor("reader", details=lambda attachment: {"reader": {"size": attachment.size}})
    services.reply_add(ticket=ticket, body="Notes.", by=agent, files=[SimpleUploadedFile("notes.txt", b"hello\n")])
    [reply] = acme_api.get(f"/api/v1/tickets/{ticket.number}/replies/").json()["results"]
    assert reply["attachments"][0]["details"] == {"reader": {"size": 6}}  # the screenshot reader skips text


def _named_in_python(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules = [node.module]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and NAMED.search(node.value):
            found.append(f"{path.name}:{node.lineno} {node.value[:60]!r}")
            continue
        else:
            continue
        found += [f"{path.name}:{node.lineno} import {m}" for m in modules if m.split(".")[0] in HIGHER]
    return found


def _named_in_template(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    found = []
    for tag in re.findall(r"{%\s*load\s+([^%]*)%}", text):
        found += [f"{path.name} loads {name}" for name in tag.split() if name in HIGHER]
    found += [f"{path.name} names {m.group(0)}…" for m in NAMED.finditer(text)]
    return found


def test_no_file_of_the_tickets_app_names_a_higher_app():
    """Imports, template loads and includes, URL names and dotted paths (tests, which set up rows of any app, aside)."""
    named = []
    for path in sorted(TICKETS.rglob("*")):
        if "tests" in path.relative_to(TICKETS).parts or "__pycache__" in path.parts:
            continue
        if path.suffix == ".py":
            named += _named_in_python(path)
        elif path.suffix in (".html", ".txt"):
            named += _named_in_template(path)
    assert named == []


def test_the_check_finds_what_it_looks_for(tmp_path):
    module = tmp_path / "views.py"
    module.write_text('from assistants.vision import selectors\nimport datasets\nTEMPLATE = "vision/thread.html"\n')
    page = tmp_path / "page.html"
    page.write_text("{% load static vision %}{% include 'integrations/slot.html' %}{% url 'assistants:x' %}")
    assert len(_named_in_python(module)) == 3
    assert len(_named_in_template(page)) == 3
