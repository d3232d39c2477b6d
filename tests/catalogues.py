"""The translation catalogues of the repository (every ``locale/*/LC_MESSAGES/*.po``), read as they are.

A small reader of GNU gettext's PO format, enough for the files ``makemessages`` writes: each entry's
flags, msgid, msgid_plural and msgstr (or msgstr[n]). Obsolete entries (``#~``) are skipped.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".venv", "node_modules", "var", ".git"}
KEYWORD = re.compile(r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (\".*\")$")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(value.strip() for value in self.msgstr.values())


def po_files() -> list[Path]:
    return sorted(
        path
        for path in ROOT.glob("**/locale/*/LC_MESSAGES/*.po")
        if not SKIPPED_DIRS & set(path.relative_to(ROOT).parts)
    )


def read_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """The header's fields and the entries of ``path``."""
    entries: list[Entry] = []
    entry, key, seen_msgstr = Entry(), "", False

    def finish() -> None:
        nonlocal entry, key, seen_msgstr
        if key:
            entries.append(entry)
        entry, key, seen_msgstr = Entry(), "", False

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#~"):
            if seen_msgstr:
                finish()
            continue
        if line.startswith("#"):
            if seen_msgstr:
                finish()
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        match = KEYWORD.match(line)
        if match:
            if match.group(1) in ("msgctxt", "msgid") and seen_msgstr:
                finish()
            key = match.group(1)
            value = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key:
            value = ast.literal_eval(line)
        else:
            raise ValueError(f"{path}: cannot read {line!r}")
        if key == "msgid":
            entry.msgid += value
        elif key == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + value
        elif key.startswith("msgstr"):
            seen_msgstr = True
            entry.msgstr[key] = entry.msgstr.get(key, "") + value
    finish()
    header_entries = [e for e in entries if e.msgid == ""]
    header = {}
    if header_entries:
        for row in header_entries[0].msgstr.get("msgstr", "").splitlines():
            name, _, value = row.partition(":")
            header[name.strip()] = value.strip()
    return header, [e for e in entries if e.msgid != ""]
