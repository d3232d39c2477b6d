"""Every translation catalogue in the repository is complete: no empty and no fuzzy entry, Russian plural
forms declared, and each compiles with GNU msgfmt."""

from __future__ import annotations

import subprocess

import pytest

from testing.i18n import ROOT, messages, po_files, read_catalogue, translated

FILES = po_files()
# Russian has three forms a count needs (1 заявка, 2 заявки, 5 заявок), plus Django's fourth for fractions.
RUSSIAN_PLURALS = "nplurals=4; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<12 || n%100>14) ? 1"


def _name(path) -> str:
    return str(path.relative_to(ROOT))


def test_the_catalogues_of_the_platform_tickets_and_knowledge_exist():
    names = {_name(path) for path in FILES}
    assert {
        "locale/ru/LC_MESSAGES/django.po",
        "tickets/locale/ru/LC_MESSAGES/django.po",
        "knowledge/locale/ru/LC_MESSAGES/django.po",
        "knowledge/locale/ru/LC_MESSAGES/djangojs.po",
    } <= names


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_a_catalogue_has_no_untranslated_and_no_fuzzy_entry(path):
    catalog = read_catalogue(path)
    assert not catalog.fuzzy, "the header is still marked fuzzy"
    entries = messages(catalog)
    assert entries, "an empty catalogue"
    untranslated = [e.id for e in entries if not translated(e)]
    fuzzy = [e.id for e in entries if e.fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:10]}"


@pytest.mark.parametrize("path", [p for p in FILES if "/ru/" in str(p)], ids=_name)
def test_a_russian_catalogue_declares_russian_plural_forms_and_fills_each(path):
    catalog = read_catalogue(path)
    header = dict(catalog.mime_headers)
    assert header.get("Language") == "ru"
    assert header.get("Plural-Forms", "").replace(" ", "").startswith(RUSSIAN_PLURALS.replace(" ", ""))
    for entry in messages(catalog):
        if entry.pluralizable:
            assert len(entry.string) == 4 and translated(entry), entry.id


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_a_catalogue_compiles(path, tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "--check-format", "-o", str(tmp_path / "out.mo"), str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_make_and_the_image_compile_the_catalogues_which_git_ignores():
    makefile = (ROOT / "Makefile").read_text()
    assert "manage.py compilemessages" in makefile and "apt-get install -y -qq gettext" in makefile
    for target in ("install:", "install-dev:"):  # `make run` needs install, `make test` install-dev
        line = next(line for line in makefile.splitlines() if line.startswith(target))
        assert "messages" in line.split(), line
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert " gettext " in dockerfile and "manage.py compilemessages" in dockerfile
    assert "*.mo" in (ROOT / ".gitignore").read_text().splitlines()
