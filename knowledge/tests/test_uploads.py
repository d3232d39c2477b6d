"""Uploading to the knowledge base: each file judged alone, repeats recognised and resolved."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import GLOBEX_HOST, login_client
from knowledge.models import Document

DOCS = "/api/v1/kb/documents/"


def upload(client: Client, *files: SimpleUploadedFile, **extra: str) -> str:
    return client.post("/knowledge/upload/", {"files": list(files), **extra}, follow=True).content.decode()


def test_one_empty_file_does_not_reject_the_others(manager_client, acme, django_capture_on_commit_callbacks):
    files = [
        SimpleUploadedFile("faq.md", b"# FAQ\n\nAnswers."),
        SimpleUploadedFile("empty.txt", b""),
        SimpleUploadedFile("notes.txt", b"Some notes."),
    ]
    with django_capture_on_commit_callbacks():
        html = upload(manager_client, *files)
    assert "2 files added" in html and "empty.txt is empty; nothing to index." in html
    assert "The submitted file is empty" not in html and "files:" not in html
    with tenant_context(acme):
        assert sorted(Document.objects.values_list("filename", flat=True)) == ["faq.md", "notes.txt"]


def test_no_file_at_all_says_so(manager_client):
    assert "Choose at least one file." in upload(manager_client)


def test_the_same_file_again_is_held_and_can_replace_keep_or_drop(
    manager_client, acme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        upload(manager_client, SimpleUploadedFile("refunds.md", b"# Refunds\n\nWithin 30 days."))
        html = upload(manager_client, SimpleUploadedFile("refunds.md", b"# Refunds\n\nWithin 30 days."))
    assert "refunds.md</strong> is the same file as" in html and "It was not added yet." in html
    assert "0 files added" not in html
    with tenant_context(acme):
        original = Document.objects.get()
    # A new version under the same name replaces the old one's file.
    with django_capture_on_commit_callbacks():
        html = upload(manager_client, SimpleUploadedFile("refunds.md", b"# Refunds\n\nWithin 60 days now."))
    assert "has the same name as" in html and "with different content" in html
    paths = [line.split('value="')[1].split('"')[0] for line in html.splitlines() if 'name="path"' in line]
    assert len(paths) == 2
    with django_capture_on_commit_callbacks() as callbacks:
        done = manager_client.post("/knowledge/upload/held/", {"path": paths[1], "action": "replace"}, follow=True)
    assert "now has the new refunds.md" in done.content.decode() and len(callbacks) >= 1
    with tenant_context(acme):
        replaced = Document.objects.get()
        assert replaced.pk == original.pk and replaced.file_sha256 != original.file_sha256
        assert replaced.file.read() == b"# Refunds\n\nWithin 60 days now." and replaced.status == "uploaded"
    with django_capture_on_commit_callbacks():
        kept = manager_client.post("/knowledge/upload/held/", {"path": paths[0], "action": "keep"}, follow=True)
    assert "added as a second document" in kept.content.decode()
    with tenant_context(acme):
        assert Document.objects.count() == 2
    again = manager_client.post("/knowledge/upload/held/", {"path": paths[0], "action": "keep"}, follow=True)
    assert "no longer waiting" in again.content.decode()


def test_discarding_a_held_upload_adds_nothing(manager_client, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        upload(manager_client, SimpleUploadedFile("a.txt", b"Same text."))
        html = upload(manager_client, SimpleUploadedFile("b.txt", b"Same text."))  # other name, same bytes
    assert "b.txt</strong> is the same file as" in html
    path = next(line for line in html.splitlines() if 'name="path"' in line).split('value="')[1].split('"')[0]
    manager_client.post("/knowledge/upload/held/", {"path": path, "action": "discard"})
    with tenant_context(acme):
        assert Document.objects.count() == 1
    assert "Already in the knowledge base" not in manager_client.get("/knowledge/").content.decode()


def test_agents_cannot_replace_but_can_keep_both(agent_client, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        upload(agent_client, SimpleUploadedFile("a.txt", b"Agent text."))
        html = upload(agent_client, SimpleUploadedFile("a.txt", b"Agent text."))
    assert 'value="keep"' in html and 'value="replace"' not in html
    path = next(line for line in html.splitlines() if 'name="path"' in line).split('value="')[1].split('"')[0]
    assert agent_client.post("/knowledge/upload/held/", {"path": path, "action": "replace"}).status_code == 403


def test_held_uploads_stay_with_their_tenant(manager_client, acme, globex, django_capture_on_commit_callbacks):
    from conftest import make_user

    with django_capture_on_commit_callbacks():
        upload(manager_client, SimpleUploadedFile("a.txt", b"Acme text."))
        html = upload(manager_client, SimpleUploadedFile("a.txt", b"Acme text."))
    path = next(line for line in html.splitlines() if 'name="path"' in line).split('value="')[1].split('"')[0]
    boss = make_user(globex, "boss@globex.test", "manager")
    other = login_client(globex, boss, GLOBEX_HOST)
    other.post("/knowledge/upload/held/", {"path": path, "action": "keep"})
    with tenant_context(globex):
        assert not Document.objects.exists()
    with tenant_context(acme):
        assert Document.objects.count() == 1


def test_api_answers_409_for_a_repeat_unless_told_what_to_do(api_client, acme):
    first = api_client.post(DOCS, {"file": SimpleUploadedFile("guide.md", b"# Guide\n\nSteps.")})
    assert first.status_code == 202
    repeat = api_client.post(DOCS, {"file": SimpleUploadedFile("guide.md", b"# Guide\n\nSteps.")})
    assert repeat.status_code == 409
    assert repeat.json()["duplicate_of"] == first.json()["id"] and repeat.json()["same_content"] is True
    newer = SimpleUploadedFile("guide.md", b"# Guide\n\nNew steps.")
    replaced = api_client.post(DOCS, {"file": newer, "on_duplicate": "replace"})
    assert replaced.status_code == 202 and replaced.json()["id"] == first.json()["id"]
    kept = api_client.post(DOCS, {"file": SimpleUploadedFile("guide.md", b"x"), "on_duplicate": "keep"})
    assert kept.status_code == 202 and kept.json()["id"] != first.json()["id"]
    empty = api_client.post(DOCS, {"file": SimpleUploadedFile("void.md", b"")})
    assert empty.status_code == 400 and "empty" in str(empty.json())
