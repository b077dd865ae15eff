"""Input parsing for `prokai classify`: JSON lines `{"id", "text"}` or plain text lines."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from prokai.cliutil import MAX_LINE_BYTES, InputError, check_text, decode_line, json_line

# The classifier reads a text's first few hundred tokens; a longer text is cut here, so a 10 MB
# line costs no more than a short one.
MAX_TEXT_CHARS = 100_000


@dataclass(frozen=True)
class Item:
    """One input record: its id (given, or the line number) and text."""

    lineno: int
    id: Any
    text: str


@dataclass(frozen=True)
class BadLine:
    """A line that could not be read, with the one-line reason."""

    lineno: int
    reason: str


def parse_lines(lines: Iterable[str | bytes | None]) -> Iterator[Item | BadLine]:
    """Items in input order; blank lines are skipped; a line starting with `{` must be JSON.

    Lines may be bytes (decoded here, one BadLine if not UTF-8) or None (a line that was too
    long, from `prokai.cliutil.bounded_lines`); every bad line is one BadLine, the rest go on."""
    for lineno, raw in enumerate(lines, 1):
        if raw is None:
            yield BadLine(lineno, f"longer than {MAX_LINE_BYTES} bytes; skipped")
            continue
        try:
            line = decode_line(raw) if isinstance(raw, bytes) else check_text(raw.rstrip("\r\n"))
            if line.strip() and not line.lstrip().startswith("{"):
                line = check_text(line)
        except InputError as exc:
            yield BadLine(lineno, str(exc))
            continue
        if not line.strip():
            continue
        if not line.lstrip().startswith("{"):
            yield Item(lineno, lineno, line[:MAX_TEXT_CHARS])
            continue
        try:
            obj = json_line(line)
        except InputError as exc:
            yield BadLine(lineno, str(exc))
            continue
        if not isinstance(obj, dict):
            yield BadLine(lineno, "expected a JSON object")
            continue
        text = obj.get("text")
        if not isinstance(text, str):
            yield BadLine(lineno, 'missing "text" string')
            continue
        ident = obj.get("id", lineno)
        if isinstance(ident, dict | list):
            yield BadLine(lineno, '"id" must be a string or a number')
            continue
        try:
            check_text(text)
            if isinstance(ident, str):
                check_text(ident, "id")
        except InputError as exc:
            yield BadLine(lineno, str(exc))
            continue
        yield Item(lineno, ident, text[:MAX_TEXT_CHARS])
