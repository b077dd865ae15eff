"""Message formatting as the Bot API does it: `parse_mode` HTML / MarkdownV2 / Markdown → text + entities.

Offsets and lengths of entities count UTF-16 code units, as Telegram's do. Errors name the byte
offset in the UTF-8 input, like Telegram's `can't parse entities` messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from prokai.sandbox.botapi.errors import BotApiError, bad_request

Entity = dict[str, Any]


def utf16_len(text: str) -> int:
    """Length of `text` in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _entities_error(reason: str) -> BotApiError:
    return bad_request(f"can't parse entities: {reason}")


@dataclass
class _Builder:
    source: str
    parts: list[str] = field(default_factory=list)
    pos16: int = 0
    entities: list[Entity] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos16 += utf16_len(text)

    def entity(self, kind: str, start16: int, **extra: Any) -> None:
        length = self.pos16 - start16
        if length > 0:
            self.entities.append({"type": kind, "offset": start16, "length": length, **extra})

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def result(self) -> tuple[str, list[Entity]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


# --- HTML -----------------------------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^>]*)?)\s*/?>")
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))|([a-zA-Z-]+)""")
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _attrs(raw: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _ATTR_RE.finditer(raw):
        if m.group(1):
            out[m.group(1).lower()] = _unescape(m.group(2) or m.group(3) or m.group(4) or "")
        elif m.group(5):
            out[m.group(5).lower()] = ""
    return out


def _unescape(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.startswith("#"):
            code = int(name[2:], 16) if name[1:2] in "xX" else int(name[1:])
            return chr(code) if 0 < code < 0x110000 else m.group(0)
        return _NAMED[name]

    return _ENTITY_RE.sub(repl, text)


def parse_html(source: str) -> tuple[str, list[Entity]]:
    """Telegram's HTML style: supported tags only, `&lt;`/`&gt;`/`&amp;`/`&quot;` and numeric entities."""
    b = _Builder(source)
    stack: list[tuple[str, int, dict[str, str], int]] = []  # tag, utf16 start, attrs, source index
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "<":
            m = _TAG_RE.match(source, i)
            if not m:
                raise _entities_error(f"Unexpected end of name token at byte offset {b.byte_offset(i)}")
            closing, name, raw_attrs = m.group(1) == "/", m.group(2).lower(), m.group(3) or ""
            if closing:
                if not stack:
                    raise _entities_error(f"Unexpected end tag at byte offset {b.byte_offset(i)}")
                open_name, start16, attrs, _ = stack[-1]
                if open_name != name:
                    raise _entities_error(
                        f'Unmatched end tag at byte offset {b.byte_offset(i)}, expected "</{open_name}>", '
                        f'found "</{name}>"'
                    )
                stack.pop()
                _close_html(b, open_name, start16, attrs, stack)
            else:
                attrs = _attrs(raw_attrs)
                if name not in _HTML_TAGS or (name == "span" and attrs.get("class") != "tg-spoiler"):
                    raise _entities_error(f'Unsupported start tag "{name}" at byte offset {b.byte_offset(i)}')
                stack.append((name, b.pos16, attrs, i))
            i = m.end()
        elif ch == "&":
            m = _ENTITY_RE.match(source, i)
            if m:
                b.add(_unescape(m.group(0)))
                i = m.end()
            else:
                b.add("&")
                i += 1
        else:
            j = i
            while j < n and source[j] not in "<&":
                j += 1
            b.add(source[i:j])
            i = j
    if stack:
        raise _entities_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return b.result()


def _close_html(
    b: _Builder,
    name: str,
    start16: int,
    attrs: dict[str, str],
    stack: list[tuple[str, int, dict[str, str], int]],
) -> None:
    kind = _HTML_TAGS[name]
    if kind == "text_link":
        href = attrs.get("href", "")
        if href.startswith("tg://user?id="):
            b.entity(
                "text_mention",
                start16,
                user={"id": int(href.split("=", 1)[1] or 0), "is_bot": False, "first_name": ""},
            )
        elif href:
            b.entity("text_link", start16, url=href)
    elif kind == "code" and stack and stack[-1][0] == "pre":
        lang = attrs.get("class", "")
        if lang.startswith("language-"):
            # Telegram merges <pre><code class="language-x"> into one pre entity with a language.
            stack[-1][2]["language"] = lang[len("language-") :]
        else:
            b.entity("code", start16)
    elif kind == "pre":
        extra = {"language": attrs["language"]} if attrs.get("language") else {}
        b.entity("pre", start16, **extra)
    elif kind == "blockquote":
        b.entity("expandable_blockquote" if "expandable" in attrs else "blockquote", start16)
    elif kind == "custom_emoji":
        b.entity("custom_emoji", start16, custom_emoji_id=attrs.get("emoji-id", ""))
    else:
        b.entity(kind, start16)


# --- MarkdownV2 -----------------------------------------------------------------------------------

_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_V2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
}


def parse_markdown_v2(source: str) -> tuple[str, list[Entity]]:
    """Telegram's MarkdownV2: every reserved character outside an entity must be escaped."""
    b = _Builder(source)
    stack: list[tuple[str, int, int]] = []  # kind, utf16 start, source index
    i, n = 0, len(source)
    at_line_start = True
    quote_start: int | None = None
    while i < n:
        ch = source[i]
        if at_line_start and ch == ">":
            if quote_start is None:
                quote_start = b.pos16
            i += 1
            at_line_start = False
            continue
        at_line_start = False
        if ch == "\\" and i + 1 < n and 0 < ord(source[i + 1]) < 127:
            b.add(source[i + 1])
            i += 2
            continue
        if ch == "\n":
            if quote_start is not None and not source.startswith(">", i + 1):
                b.entity("blockquote", quote_start)
                quote_start = None
            b.add(ch)
            i += 1
            at_line_start = True
            continue
        if ch == "`":
            i = _v2_code(b, source, i)
            continue
        two = source[i : i + 2]
        kind: str | None = None
        width = 1
        if two == "__":
            kind, width = "underline", 2
        elif two == "||":
            kind, width = "spoiler", 2
        elif ch == "*":
            kind = "bold"
        elif ch == "_":
            kind = "italic"
        elif ch == "~":
            kind = "strikethrough"
        if kind is not None:
            open_kinds = [k for k, _, _ in stack]
            if kind in open_kinds:
                idx = len(open_kinds) - 1 - open_kinds[::-1].index(kind)
                _, start16, _ = stack.pop(idx)
                b.entity(kind, start16)
            else:
                stack.append((kind, b.pos16, i))
            i += width
            continue
        if ch == "[":
            stack.append(("text_link", b.pos16, i))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "text_link":
            if not source.startswith("(", i + 1):
                raise _entities_error("Character ']' is reserved and must be escaped with the preceding '\\'")
            url, i = _v2_until(source, i + 2, ")")
            _, start16, _ = stack.pop()
            b.entity("text_link", start16, url=url)
            continue
        if ch in _V2_RESERVED:
            raise _entities_error(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
        b.add(ch)
        i += 1
    if quote_start is not None:
        b.entity("blockquote", quote_start)
    if stack:
        kind, _, index = stack[-1]
        raise _entities_error(
            f"Can't find end of {_V2_NAMES.get(kind, kind)} entity at byte offset {b.byte_offset(index)}"
        )
    return b.result()


def _v2_until(source: str, i: int, end: str) -> tuple[str, int]:
    """Read an escaped run up to the unescaped `end` character; return it and the index after."""
    out: list[str] = []
    while i < len(source):
        ch = source[i]
        if ch == "\\" and i + 1 < len(source):
            out.append(source[i + 1])
            i += 2
            continue
        if ch == end:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise _entities_error("Can't find end of a URL")


def _v2_code(b: _Builder, source: str, i: int) -> int:
    start_index = i
    if source.startswith("```", i):
        i += 3
        nl = source.find("\n", i)
        language = ""
        if nl != -1 and re.fullmatch(r"[\w+#.-]*", source[i:nl]):
            language, i = source[i:nl], nl + 1
        end = source.find("```", i)
        while end != -1 and source[end - 1] == "\\":
            end = source.find("```", end + 1)
        if end == -1:
            raise _entities_error(f"Can't find end of Pre entity at byte offset {b.byte_offset(start_index)}")
        start16 = b.pos16
        b.add(re.sub(r"\\([\\`])", r"\1", source[i:end]))
        b.entity("pre", start16, **({"language": language} if language else {}))
        return end + 3
    end = i + 1
    while end < len(source) and source[end] != "`":
        end += 2 if source[end] == "\\" else 1
    if end >= len(source):
        raise _entities_error(f"Can't find end of Code entity at byte offset {b.byte_offset(start_index)}")
    start16 = b.pos16
    b.add(re.sub(r"\\([\\`])", r"\1", source[i + 1 : end]))
    b.entity("code", start16)
    return end + 1


# --- legacy Markdown ------------------------------------------------------------------------------


def parse_markdown(source: str) -> tuple[str, list[Entity]]:
    """Telegram's legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    b = _Builder(source)
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            b.add(source[i + 1])
            i += 2
            continue
        if ch in "*_`[":
            if source.startswith("```", i):
                end = source.find("```", i + 3)
                if end == -1:
                    raise _entities_error(
                        f"Can't find end of the entity starting at byte offset {b.byte_offset(i)}"
                    )
                body = source[i + 3 : end]
                language = ""
                nl = body.find("\n")
                if nl != -1 and re.fullmatch(r"[\w+#.-]+", body[:nl]):
                    language, body = body[:nl], body[nl + 1 :]
                start16 = b.pos16
                b.add(body)
                b.entity("pre", start16, **({"language": language} if language else {}))
                i = end + 3
                continue
            if ch == "[":
                m = re.compile(r"\[([^\]]*)\]\(([^)]*)\)").match(source, i)
                if not m:
                    raise _entities_error(
                        f"Can't find end of the entity starting at byte offset {b.byte_offset(i)}"
                    )
                start16 = b.pos16
                b.add(m.group(1))
                b.entity("text_link", start16, url=m.group(2))
                i = m.end()
                continue
            end = source.find(ch, i + 1)
            if end == -1:
                raise _entities_error(
                    f"Can't find end of the entity starting at byte offset {b.byte_offset(i)}"
                )
            start16 = b.pos16
            b.add(source[i + 1 : end])
            b.entity({"*": "bold", "_": "italic", "`": "code"}[ch], start16)
            i = end + 1
            continue
        b.add(ch)
        i += 1
    return b.result()


# --- public entry points --------------------------------------------------------------------------


def format_text(
    text: str, parse_mode: str | None, entities: list[Entity] | None = None
) -> tuple[str, list[Entity]]:
    """Apply `parse_mode` (or explicit `entities`), then trim surrounding whitespace as Telegram does."""
    if parse_mode:
        mode = parse_mode.lower()
        if mode == "html":
            text, ents = parse_html(text)
        elif mode == "markdownv2":
            text, ents = parse_markdown_v2(text)
        elif mode == "markdown":
            text, ents = parse_markdown(text)
        else:
            raise bad_request(f"unsupported parse_mode {parse_mode}")
    else:
        ents = [dict(e) for e in entities or []]
    return _strip(text, ents)


def _strip(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    out: list[Entity] = []
    for e in entities:
        start = max(0, e["offset"] - lead)
        end = min(size, e["offset"] + e["length"] - lead)
        if end > start:
            out.append({**e, "offset": start, "length": end - start})
    return stripped, out


_COMMAND_RE = re.compile(r"(?<![\w/])/[a-zA-Z0-9_]{1,64}(?:@[a-zA-Z0-9_]{3,32})?")
_MENTION_RE = re.compile(r"(?<![\w@])@[a-zA-Z][a-zA-Z0-9_]{3,31}\b")
_URL_RE = re.compile(r"\bhttps?://[^\s<>\"]+")


def user_entities(text: str) -> list[Entity]:
    """The entities Telegram's clients mark in a user's plain text: bot commands, mentions, URLs."""
    found: list[tuple[int, int, str]] = []
    for regex, kind in ((_COMMAND_RE, "bot_command"), (_MENTION_RE, "mention"), (_URL_RE, "url")):
        for m in regex.finditer(text):
            found.append((m.start(), m.end(), kind))
    found.sort()
    out: list[Entity] = []
    last_end = -1
    for start, end, kind in found:
        if start < last_end:
            continue
        out.append({"type": kind, "offset": utf16_len(text[:start]), "length": utf16_len(text[start:end])})
        last_end = end
    return out
