"""Text out of the accepted formats, as sections (a heading and its paragraphs).

Each parser raises ``ExtractionError`` with a sentence a user can act on for
empty, encrypted or corrupt input; the document is then marked failed with it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import PurePath


class ExtractionError(Exception):
    """The input cannot be turned into text; the message is shown to the user."""


class UnsupportedType(ExtractionError):
    pass


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    # Where it came from inside the document: {"page": 3} or {"url": "..."}.
    metadata: dict[str, object] = field(default_factory=dict)


@dataclass
class Extracted:
    sections: list[Section]
    pages: int = 1
    title: str = ""

    @property
    def text(self) -> str:
        return "\n\n".join("\n\n".join([s.heading, *s.paragraphs]).strip() for s in self.sections).strip()


FORMATS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".txt": "txt",
    ".text": "txt",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}
ACCEPTED_EXTENSIONS = sorted(FORMATS)
ACCEPTED_CONTENT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/plain": "txt",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/html": "html",
    "application/xhtml+xml": "html",
}


def format_of(filename: str) -> str:
    """The parser name for a file name, or ``UnsupportedType`` naming the accepted types."""
    kind = FORMATS.get(PurePath(filename).suffix.lower())
    if kind is None:
        name = PurePath(filename).name or "This file"
        raise UnsupportedType(f"{name} is not a supported type; accepted: {', '.join(ACCEPTED_EXTENSIONS)}.")
    return kind


_BLANK_LINES = re.compile(r"\n\s*\n")
_SPACES = re.compile(r"[ \t\r\f\v]+")


def paragraphs_of(text: str) -> list[str]:
    """Paragraphs separated by blank lines, inner whitespace collapsed (line breaks kept)."""
    out = []
    for block in _BLANK_LINES.split(text.replace("\x00", "")):
        lines = [_SPACES.sub(" ", line).strip() for line in block.splitlines()]
        joined = "\n".join(line for line in lines if line)
        if joined:
            out.append(joined)
    return out


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251" if _looks_cp1251(data) else "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def _looks_cp1251(data: bytes) -> bool:
    high = sum(1 for b in data[:4000] if 0xC0 <= b <= 0xFF)
    return high > len(data[:4000]) * 0.3


def _require_text(extracted: Extracted, what: str) -> Extracted:
    extracted.sections = [s for s in extracted.sections if s.paragraphs or s.heading]
    if not extracted.text.strip():
        raise ExtractionError(f"The {what} contains no text to index (it is empty or holds only images).")
    return extracted


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def parse_markdown(text: str, *, what: str = "document") -> Extracted:
    """Sections at each Markdown heading; the heading path (``Guide > Install``) titles a section."""
    sections = [Section(heading="")]
    path: list[tuple[int, str]] = []
    buffer: list[str] = []
    in_code = False

    def flush() -> None:
        sections[-1].paragraphs.extend(paragraphs_of("\n".join(buffer)))
        buffer.clear()

    for line in text.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
        match = None if in_code else _MD_HEADING.match(line)
        if match:
            flush()
            level, title = len(match.group(1)), match.group(2).strip()
            path = [(lvl, t) for lvl, t in path if lvl < level] + [(level, title)]
            sections.append(Section(heading=" > ".join(t for _, t in path)))
        else:
            buffer.append(line)
    flush()
    first_heading = next((s.heading for s in sections if s.heading), "")
    return _require_text(Extracted(sections=sections, title=first_heading.split(" > ")[0]), what)


def parse_text(text: str, *, what: str = "text") -> Extracted:
    return _require_text(Extracted(sections=[Section(heading="", paragraphs=paragraphs_of(text))]), what)


def parse_html(html: str | bytes, *, url: str = "", what: str = "page") -> Extracted:
    """Main content of an HTML page (trafilatura drops navigation and boilerplate), as Markdown sections."""
    # heavy: loaded on first use (trafilatura, only for HTML)
    import trafilatura

    if isinstance(html, bytes):
        html = _decode(html)
    if not html.strip():
        raise ExtractionError(f"The {what} is empty.")
    markdown = trafilatura.extract(
        html, url=url or None, output_format="markdown", include_formatting=True, include_comments=False
    )
    metadata = trafilatura.extract_metadata(html)
    page_title = (metadata.title if metadata else None) or ""
    extracted = parse_markdown(markdown or "", what=what)
    extracted.title = page_title or extracted.title
    return extracted


def parse_pdf(data: bytes) -> Extracted:
    """One section per page (pypdf); encrypted and corrupt files fail with a reason."""
    # heavy: loaded on first use (pypdf, only for PDF)
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExtractionError("The PDF is encrypted (password-protected); upload an unprotected copy.")
        sections = [
            Section(heading="", paragraphs=paragraphs_of(page.extract_text() or ""), metadata={"page": number})
            for number, page in enumerate(reader.pages, start=1)
        ]
        title = str(reader.metadata.title or "") if reader.metadata else ""
    except ExtractionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ExtractionError(f"The PDF cannot be read; it may be damaged ({exc}).") from exc
    return _require_text(Extracted(sections=sections, pages=len(sections), title=title), "PDF")


def parse_docx(data: bytes) -> Extracted:
    """Sections at the Word heading styles (``Heading 1``…), paragraphs and table rows as text."""
    # heavy: loaded on first use (python-docx, only for DOCX)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # BadZipFile, PackageNotFoundError, lxml errors: all mean a corrupt package
        raise ExtractionError(f"The Word file cannot be read; it may be damaged or not a .docx ({exc}).") from exc
    sections = [Section(heading="")]
    path: list[tuple[int, str]] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = _docx_heading_level(style)
        if level:
            path = [(lvl, t) for lvl, t in path if lvl < level] + [(level, text)]
            sections.append(Section(heading=" > ".join(t for _, t in path)))
        else:
            sections[-1].paragraphs.append(text)
    for table in document.tables:
        rows = [" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows]
        if rows:
            sections[-1].paragraphs.append("\n".join(rows))
    title = document.core_properties.title or (path[0][1] if path else "")
    return _require_text(Extracted(sections=sections, title=title), "Word file")


def _docx_heading_level(style: str) -> int:
    if style == "Title":
        return 1
    match = re.match(r"Heading (\d)", style)
    return int(match.group(1)) if match else 0


def extract_file(filename: str, data: bytes) -> Extracted:
    """Dispatch on the file's extension; raises ``UnsupportedType`` or ``ExtractionError``."""
    kind = format_of(filename)
    if not data:
        raise ExtractionError("The file is empty.")
    if kind == "pdf":
        return parse_pdf(data)
    if kind == "docx":
        return parse_docx(data)
    if kind == "html":
        return parse_html(data, what="HTML file")
    text = _decode(data)
    if kind == "markdown":
        return parse_markdown(text, what="Markdown file")
    return parse_text(text, what="text file")
