"""Message entities as Telegram's servers attach them: found in plain text, or given by the sender.

Telegram parses every message it stores: @mentions, URLs (t.me links included), /bot_commands,
#hashtags and e-mail addresses come back as `MessageEntity*` objects with offsets and lengths in
UTF-16 code units (emoji count twice). A sender may add its own, the important one being
`text_url`: a link hidden under a word ("order <here>"), which is how channels hide their bot
links. `entities_for(text, links)` builds both kinds for a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from telethon.tl import types

_URL = re.compile(
    r"(?<![\w@/.])(?:https?://)?(?:[a-z0-9-]+\.)+(?:me|org|com|net|ru|kz|io|dog|gg|link|xyz)(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
_MENTION = re.compile(r"(?<![\w@/.])@[a-zA-Z][a-zA-Z0-9_]{3,31}\b")
_COMMAND = re.compile(r"(?<![\w/])/[a-zA-Z][a-zA-Z0-9_]{0,31}(?:@[a-zA-Z][a-zA-Z0-9_]{3,31})?\b")
_HASHTAG = re.compile(r"(?<![\w#])#\w{1,64}")
_EMAIL = re.compile(r"(?<![\w.])[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+", re.IGNORECASE)


def utf16_len(text: str) -> int:
    """Length of `text` in UTF-16 code units (what entity offsets count)."""
    return len(text.encode("utf-16-le")) // 2


def _span(text: str, start: int, end: int) -> tuple[int, int]:
    offset = utf16_len(text[:start])
    return offset, utf16_len(text[start:end])


def detect(text: str) -> list[Any]:
    """The entities Telegram's server finds in plain `text`, in order of their offsets."""
    if not text:
        return []
    found: list[tuple[int, int, Any]] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], make: Any) -> None:
        start, end = match.span()
        while end > start and text[end - 1] in ".,;:!?)»":  # trailing punctuation is not part of a link
            end -= 1
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        offset, length = _span(text, start, end)
        found.append((start, end, make(offset, length)))

    for m in _EMAIL.finditer(text):
        add(m, lambda o, n: types.MessageEntityEmail(o, n))
    for m in _URL.finditer(text):
        add(m, lambda o, n: types.MessageEntityUrl(o, n))
    for m in _MENTION.finditer(text):
        add(m, lambda o, n: types.MessageEntityMention(o, n))
    for m in _COMMAND.finditer(text):
        add(m, lambda o, n: types.MessageEntityBotCommand(o, n))
    for m in _HASHTAG.finditer(text):
        add(m, lambda o, n: types.MessageEntityHashtag(o, n))
    found.sort(key=lambda f: f[0])
    return [f[2] for f in found]


def text_link(text: str, word: str, url: str) -> Any:
    """A `text_url` entity hiding `url` under the first occurrence of `word` in `text`."""
    start = text.find(word)
    if start < 0 or not word:
        raise ValueError(f"{word!r} does not occur in the text")
    offset, length = _span(text, start, start + len(word))
    return types.MessageEntityTextUrl(offset, length, url)


def entities_for(text: str, links: Iterable[tuple[str, str]] = (), given: Iterable[Any] = ()) -> list[Any]:
    """Auto-detected entities plus `text_url` links (word, url) and entities a client sent.

    Where the sender's own entities overlap detected ones, the sender's win (a client that marks
    a URL up itself does not get it twice).
    """
    explicit = [text_link(text, word, url) for word, url in links] + list(given)
    spans = [(e.offset, e.offset + e.length) for e in explicit]
    auto = [e for e in detect(text) if not any(e.offset < b and a < e.offset + e.length for a, b in spans)]
    return sorted(explicit + auto, key=lambda e: e.offset)
