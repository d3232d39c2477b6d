"""Reading the rows of a JSON document a piece at a time, so that a preview of ten rows never loads the file.

The document is a list, or an object holding exactly one list; the list's items come out one by one
while the text is read in chunks (a single item may be as large as the file).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any


class JsonStreamError(ValueError):
    """The document is not valid JSON, or not a list of rows; the message says where and why."""


_WHITESPACE = re.compile(r"[ \t\r\n]*")


class JsonScanner:
    """Values of a JSON document read piece by piece from a text stream, so a list is never loaded whole."""

    CHUNK = 64 * 1024

    def __init__(self, text: IO[str]) -> None:
        self.text = text
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.line = 1  # line and column of the buffer's start, for error messages
        self.column = 1
        self.decoder = json.JSONDecoder()

    def _fill(self, size: int) -> None:
        consumed = self.buffer[: self.pos]
        newlines = consumed.count("\n")
        self.line += newlines
        self.column = len(consumed) - consumed.rfind("\n") if newlines else self.column + len(consumed)
        chunk = self.text.read(size)
        self.eof = not chunk
        self.buffer, self.pos = self.buffer[self.pos :] + chunk, 0

    def error(self, message: str, at: int | None = None) -> JsonStreamError:
        before = self.buffer[: self.pos if at is None else at]
        line = self.line + before.count("\n")
        column = len(before) - before.rfind("\n") if "\n" in before else self.column + len(before)
        return JsonStreamError(f"The JSON is invalid at line {line}, column {column}: {message}.")

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end), which is not consumed."""
        while True:
            self.pos = _WHITESPACE.match(self.buffer, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buffer) or self.eof:
                return self.buffer[self.pos] if self.pos < len(self.buffer) else ""
            self._fill(self.CHUNK)

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise self.error(f"expecting {char!r}" + (f", not {found!r}" if found else ", the file ends"))
        self.pos += 1

    def value(self) -> Any:
        """The next whole value; the buffer grows (doubling) until it holds it."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof:
                    raise self.error(exc.msg, exc.pos) from None
            else:
                if end < len(self.buffer) or self.eof:  # a number at the very end may go on in the next chunk
                    self.pos = end
                    return value
            self._fill(max(self.CHUNK, len(self.buffer)))

    def items(self) -> Iterator[Any]:
        """The items of the list that starts here, one at a time."""
        self.expect("[")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            if self.peek() == "]":
                self.pos += 1
                return
            self.expect(",")


ONE_LIST = "The JSON must be a list of objects (or an object holding exactly one such list)."


def _values(scanner: JsonScanner) -> Iterator[Any]:
    """The items of the document's list: the top-level list, or the one list held by a top-level object."""
    first = scanner.peek()
    if first == "[":
        yield from scanner.items()
    elif first == "{":
        scanner.pos += 1
        found = False
        while scanner.peek() != "}":
            if scanner.peek() != '"':
                raise scanner.error("expecting a property name in double quotes")
            scanner.value()
            scanner.expect(":")
            if scanner.peek() == "[":
                if found:
                    raise JsonStreamError(
                        "The JSON must be a list of objects (or an object holding exactly one such list)."
                    )
                found = True
                yield from scanner.items()
            else:
                scanner.value()
            if scanner.peek() != "}":
                scanner.expect(",")
        scanner.pos += 1
        if not found:
            raise JsonStreamError(ONE_LIST)
    elif first == "":
        raise JsonStreamError("The file is empty.")
    else:
        scanner.value()  # a scalar, or invalid
        raise JsonStreamError("The JSON must be a list of objects.")
    if scanner.peek():
        raise scanner.error("extra data after the end of the document")


def list_items(text: IO[str]) -> Iterator[Any]:
    """The items of the document's list (the top-level one, or the one list a top-level object holds)."""
    return _values(JsonScanner(text))
