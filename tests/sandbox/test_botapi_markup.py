"""parse_mode handling: what PTB's own escaping helpers produce parses back to the plain text."""

from __future__ import annotations

import html

from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.helpers import escape_markdown

from prokai.sandbox.botapi.markup import format_text, user_entities, utf16_len

texts = (
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=150, deadline=None)
@given(texts, texts)
def test_escaped_html_and_markdown_v2_round_trip(outer: str, inner: str) -> None:
    for source, mode in (
        (f"{html.escape(outer)} <b>{html.escape(inner)}</b>", "HTML"),
        (f"{escape_markdown(outer, version=2)} *{escape_markdown(inner, version=2)}*", "MarkdownV2"),
    ):
        text, entities = format_text(source, mode)
        assert text == f"{outer} {inner}", source
        assert entities == [{"type": "bold", "offset": utf16_len(outer) + 1, "length": utf16_len(inner)}], (
            source
        )


def test_entities_count_utf16_units() -> None:
    text, entities = format_text(
        "😀 <i>café 🇰🇿</i> <a href='https://example.org/?a=1&amp;b=2'>link</a>", "HTML"
    )
    assert text == "😀 café 🇰🇿 link"
    assert entities == [
        {"type": "italic", "offset": 3, "length": 9},
        {"type": "text_link", "offset": 13, "length": 4, "url": "https://example.org/?a=1&b=2"},
    ]
    assert user_entities("😀 /start@prokai_review_bot") == [
        {"type": "bot_command", "offset": 3, "length": 24}
    ]
