"""Two-step passwords from the case file.

One password per line. A line `+77011234567: secret` applies to that number only (tried first);
any other non-empty line applies to every number. Leading/trailing spaces are kept out; nothing
else is interpreted. Every password is registered as a secret, so it never reaches a log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from prokai.logs import register_secret

_PHONE_LINE = re.compile(r"^\+(\d{7,15})\s*:\s?(.*)$")


class PasswordFileError(ValueError):
    """The passwords file cannot be read."""


@dataclass
class PasswordBook:
    """Candidate passwords, general and per phone (digits)."""

    general: list[str] = field(default_factory=list)
    by_phone: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> PasswordBook:
        """Parse the file format described in the module docstring."""
        book = cls()
        for raw in text.splitlines():
            line = raw.strip()
            if not line:
                continue
            m = _PHONE_LINE.match(line)
            if m:
                if m.group(2):
                    book.by_phone.setdefault(m.group(1), []).append(m.group(2))
                    register_secret(m.group(2))
                continue
            book.general.append(line)
            register_secret(line)
        return book

    @classmethod
    def load(cls, path: Path | str | None) -> PasswordBook:
        """The book in `path` (an empty book for None)."""
        if path is None:
            return cls()
        try:
            return cls.parse(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise PasswordFileError(f"passwords file {path}: cannot read: {exc}") from None

    def for_phone(self, phone: str) -> list[str]:
        """Candidates for `phone`: its own first, then the general ones, without repeats."""
        digits = "".join(c for c in phone if c.isdigit())
        out: list[str] = []
        for pw in self.by_phone.get(digits, []) + self.general:
            if pw not in out:
                out.append(pw)
        return out

    def __len__(self) -> int:
        return len(self.general) + sum(len(v) for v in self.by_phone.values())
