import pytest

from knowledge.extract import ExtractionError, UnsupportedType, extract_file
from knowledge.tests.conftest import encrypt_pdf, make_docx, make_pdf


def test_text_file_becomes_paragraphs():
    extracted = extract_file("notes.txt", b"First paragraph\nstill first.\n\n\nSecond   paragraph.\n")
    assert extracted.sections[0].paragraphs == ["First paragraph\nstill first.", "Second paragraph."]


def test_text_in_windows_1251_is_decoded():
    extracted = extract_file("ru.txt", "Сброс пароля через почту".encode("cp1251"))
    assert "Сброс пароля" in extracted.text


def test_markdown_headings_become_section_paths():
    md = "# Guide\n\nIntro.\n\n## Install\n\nRun it.\n\n```\n# not a heading\n```\n\n# Other\n\nMore."
    extracted = extract_file("guide.md", md.encode())
    headings = [s.heading for s in extracted.sections]
    assert headings == ["Guide", "Guide > Install", "Other"]
    assert "# not a heading" in extracted.sections[1].paragraphs[-1]
    assert extracted.title == "Guide"


def test_html_keeps_main_content_and_headings_and_drops_navigation():
    html = b"""<html><head><title>Refunds</title></head><body><nav>Home | Pricing | Login</nav>
    <article><h1>Refunds</h1><p>Refunds are paid back to the original card within ten business days.</p>
    <h2>Exceptions</h2><p>Gift cards cannot be refunded once they have been redeemed on an account.</p></article>
    <footer>Copyright Example</footer></body></html>"""
    extracted = extract_file("refunds.html", html)
    assert extracted.title == "Refunds"
    assert any(s.heading.endswith("Exceptions") for s in extracted.sections)
    assert "original card" in extracted.text
    assert "Pricing" not in extracted.text


def test_pdf_pages_are_sections_with_page_numbers():
    extracted = extract_file("manual.pdf", make_pdf(["Page one talks about invoices.", "Page two is on refunds."]))
    assert extracted.pages == 2
    assert [s.metadata["page"] for s in extracted.sections] == [1, 2]
    assert "refunds" in extracted.sections[1].paragraphs[0]


def test_encrypted_pdf_fails_with_a_reason():
    with pytest.raises(ExtractionError, match="encrypted"):
        extract_file("locked.pdf", encrypt_pdf(make_pdf(["Secret text"])))


def test_corrupt_pdf_fails_with_a_reason():
    with pytest.raises(ExtractionError, match="PDF cannot be read"):
        extract_file("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage without xref")


def test_pdf_without_text_fails():
    with pytest.raises(ExtractionError, match="no text"):
        extract_file("scan.pdf", make_pdf([""]))


def test_docx_headings_and_paragraphs():
    data = make_docx([("h1", "Billing"), ("p", "Invoices are monthly."), ("h2", "VAT"), ("p", "Add your VAT ID.")])
    extracted = extract_file("billing.docx", data)
    sections = {s.heading: s.paragraphs for s in extracted.sections if s.heading}
    assert sections == {"Billing": ["Invoices are monthly."], "Billing > VAT": ["Add your VAT ID."]}


def test_corrupt_docx_fails_with_a_reason():
    with pytest.raises(ExtractionError, match="Word file cannot be read"):
        extract_file("broken.docx", b"PK\x03\x04 this is not a zip archive")


def test_empty_file_fails():
    with pytest.raises(ExtractionError, match="empty"):
        extract_file("empty.md", b"")


def test_unsupported_type_names_the_accepted_ones():
    with pytest.raises(UnsupportedType, match=r"accepted: \.docx, .*\.pdf"):
        extract_file("photo.png", b"\x89PNG")
