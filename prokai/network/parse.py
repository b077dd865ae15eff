"""What the network reads out of stored messages: holders' names next to requisites, and the
peers a shop names (with what it says about them: backup, new name, operator).

Both work on the text exactly as stored; names are kept as the shop wrote them, with a folded
key (`holder_key`) so "Ержан К." and "ЕРЖАН К" meet at one holder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from prokai.intake.targets import TargetKind, find_target_mentions

_UP = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
_LOW = "a-zа-яёәғқңөұүһі"
_WORD = rf"[{_UP}][{_LOW}\-]+"
_INITIAL = rf"[{_UP}][{_LOW}]*\."
_NAME = (
    rf"(?:(?:ИП|ТОО|ЖШС|АО|LLP|LLC|IP)[ \t]+)?[«\"]?{_WORD}"
    rf"(?:[ \t]+(?:{_INITIAL}|{_WORD})){{0,2}}[»\"]?"
)
_LABEL = r"(?i:получатель|получателя|алушы|на имя|ф\.?и\.?о\.?|иесі|владелец|держатель|recipient|card ?holder|holder)"
LABELLED = re.compile(rf"{_LABEL}[ \t]*[:\-—–]?[ \t]*(?P<name>{_NAME})")
PAREN = re.compile(rf"^[ \t]*\([ \t]*(?P<name>{_NAME})[ \t]*\)")

BACKUP_WORDS = re.compile(r"резерв|запасн|зеркал|backup|reserve|mirror|қосалқы|қор бот", re.I)
RENAME_WORDS = re.compile(r"нов(?:ый|ое|ая)\s+(?:бот|адрес|имя|ссылк)|переехал|new\s+(?:bot|name|address)|жаңа\s+бот", re.I)
OPERATOR_WORDS = re.compile(r"оператор|менеджер|поддержк|operator|manager|support|админ|admin|курьер|courier", re.I)

LINK_KINDS = ("links_to", "operator", "backup_of", "renamed_to")


def holder_key(name: str) -> str:
    """The folded form two spellings of one holder share: case, ё, punctuation and spacing ignored."""
    folded = name.casefold().replace("ё", "е")
    folded = re.sub(r"[^\w ]+", " ", folded)
    return " ".join(folded.split())[:128]


def find_holder(text: str, start: int | None = None, end: int | None = None) -> str | None:
    """The holder's name the shop wrote next to a requisite in `text`, or None.

    Labelled names ("Получатель: Ержан К.", "Алушы — Айгерім С.", "на имя ИП Сейткали") win,
    the first one after the requisite (at `start`/`end`) first; then a name in brackets right
    after the requisite ("+7 702 836 01 61 (Жанна Б.)").
    """
    if not text:
        return None
    if end is not None and (m := LABELLED.search(text, end)):  # the usual case: the name follows the number
        return _clean(m["name"])
    labelled = list(LABELLED.finditer(text))
    if labelled:
        if end is not None:
            after = [m for m in labelled if m.start() >= end]
            if after:
                return _clean(after[0]["name"])
            before = [m for m in labelled if m.end() <= (start if start is not None else end)]
            if before:
                return _clean(before[-1]["name"])
        return _clean(labelled[0]["name"])
    if end is not None and (m := PAREN.match(text[end:end + 80])):
        return _clean(m["name"])
    return None


# A bank or a payment system in brackets ("KZ52… (Jusan Bank)") is not a person.
NOT_A_HOLDER = re.compile(r"bank|банк|kaspi|каспи|halyk|халык|jusan|forte|freedom|сбер|sber|tinkoff|тинькофф|"
                          r"visa|mastercard|\bmir\b|\bмир\b|usdt|trc20|erc20|bitcoin|tether", re.I)


def _clean(name: str) -> str | None:
    cleaned = " ".join(name.strip().strip("«»\"").split())[:128]
    return None if NOT_A_HOLDER.search(cleaned) else cleaned


@dataclass(frozen=True)
class Mention:
    """A peer named by a shop: its username, the kind of link, and the words around it."""

    target: str  # username, lower case, no @
    kind: str  # links_to | operator | backup_of | renamed_to
    context: str


def _kind(context: str) -> str:
    if BACKUP_WORDS.search(context):
        return "backup_of"
    if RENAME_WORDS.search(context):
        return "renamed_to"
    if OPERATOR_WORDS.search(context):
        return "operator"
    return "links_to"


_CANDIDATE = re.compile(r"(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/[^\s)\]»,;|]+|@\w+", re.I)
_BOUNDARY = re.compile(r"[.!?;|()\[\]\n]")


def _clause_mentions(text: str) -> list[tuple[str, str]]:
    """(candidate, context) pairs: the context of a mention is its clause up to the mention, so
    "Бот: @a | Резерв: @b" names @a plainly and @b as a backup."""
    out = []
    last = 0
    for m in _CANDIDATE.finditer(text):
        cut = max((b.end() for b in _BOUNDARY.finditer(text, last, m.start())), default=last)
        out.append((m.group(0), text[cut:m.end()]))
        last = m.end()
    return out


def find_mentions(text: str, buttons: Iterable[dict[str, Any]] = (), entities: Iterable[dict[str, Any]] = ()) -> list[Mention]:
    """Peers named in a message: @names and t.me links in its text (judged by the words before
    them in their clause), URL buttons (judged by the button's text) and link entities (by the
    text they cover). One mention per (target, kind)."""
    out: dict[tuple[str, str], Mention] = {}

    def add(where: str, context: str) -> None:
        for spec in find_target_mentions(where):
            if spec.kind != TargetKind.USERNAME:
                continue
            mention = Mention(spec.value, _kind(context), context.strip()[:256])
            out.setdefault((mention.target, mention.kind), mention)

    text = text or ""
    for candidate, context in _clause_mentions(text):
        add(candidate, context)
    for button in buttons:
        url = button.get("url") if isinstance(button, dict) else None
        if url:
            add(str(url), str(button.get("text") or ""))
    for entity in entities:
        url = entity.get("url") if isinstance(entity, dict) else None
        if url:
            offset, length = int(entity.get("offset") or 0), int(entity.get("length") or 0)
            add(str(url), text[offset:offset + length] or str(url))
    return list(out.values())
