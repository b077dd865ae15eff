"""Input parsing for `prokai classify`: JSON lines `{"id", "text"}` or plain text lines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


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


def parse_lines(lines: Iterable[str]) -> Iterator[Item | BadLine]:
    """Items in input order; blank lines are skipped; a line starting with `{` must be JSON."""
    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if not line.lstrip().startswith("{"):
            yield Item(lineno, lineno, line)
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadLine(lineno, f"invalid JSON: {exc.msg} at column {exc.colno}")
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
        yield Item(lineno, ident, text)
