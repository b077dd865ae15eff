"""Our own button model in front of Telethon's (layer 229 changed inline buttons; pin it here),
and a message's entities as stored: the one form every source (the crawler, the archive of
seized accounts) keeps a message's markup in.

A `Button` is what a buyer could press: an inline callback button (pressed with
`messages.getBotCallbackAnswer`), an inline URL button (recorded, never opened), or a reply
keyboard button (pressed by sending its text). Everything else is recorded as `other`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ButtonKind(StrEnum):
    CALLBACK = "callback"
    URL = "url"
    REPLY = "reply"
    COMMAND = "command"  # a /command the bot lists in its text; pressed by sending it
    OTHER = "other"


@dataclass(frozen=True)
class Button:
    """One button as seen under a message; `row`/`col` locate it in the keyboard."""

    text: str
    kind: ButtonKind
    row: int
    col: int
    data: bytes | None = None
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The form stored with the message as evidence."""
        out: dict[str, Any] = {"text": self.text, "kind": self.kind.value, "row": self.row, "col": self.col}
        if self.data is not None:
            out["data"] = self.data.hex()
        if self.url is not None:
            out["url"] = self.url
        return out

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Button:
        """The button back from its stored form (`to_json`)."""
        data = row.get("data")
        return cls(str(row.get("text", "")), ButtonKind(row.get("kind", ButtonKind.CALLBACK.value)),
                   int(row.get("row", 0)), int(row.get("col", 0)),
                   bytes.fromhex(data) if data else None, row.get("url"))


def buttons_of(reply_markup: Any) -> list[Button]:
    """Buttons of a Telethon `reply_markup` (ReplyInlineMarkup or ReplyKeyboardMarkup), or []."""
    if reply_markup is None:
        return []
    from telethon.tl import types

    out: list[Button] = []
    rows = getattr(reply_markup, "rows", None) or []
    inline = isinstance(reply_markup, types.ReplyInlineMarkup)
    for r, row in enumerate(rows):
        for c, btn in enumerate(getattr(row, "buttons", []) or []):
            text = getattr(btn, "text", "") or ""
            btype = getattr(btn, "type", None)
            if not inline:
                out.append(Button(text, ButtonKind.REPLY, r, c))
            elif isinstance(btype, types.InlineButtonTypeCallback):
                out.append(Button(text, ButtonKind.CALLBACK, r, c, data=bytes(btype.data)))
            elif isinstance(btype, types.InlineButtonTypeUrl):
                out.append(Button(text, ButtonKind.URL, r, c, url=btype.url))
            else:
                out.append(Button(text, ButtonKind.OTHER, r, c))
    return out


def message_entities(message: Any) -> list[dict[str, Any]]:
    """A message's entities as plain dicts (type, offset, length, and the URL of a text link)."""
    out = []
    for ent in getattr(message, "entities", None) or []:
        item = {"type": type(ent).__name__, "offset": ent.offset, "length": ent.length}
        if getattr(ent, "url", None):
            item["url"] = ent.url
        out.append(item)
    return out
