"""Normalization before matching, with every output character mapped back to the input.

What it undoes: zero-width and other format characters, keycap/variation selectors, fullwidth
and other-script digits (Arabic-Indic, circled, mathematical), Cyrillic and Greek letters that
look like Latin ones, and digits written as words in Russian, Kazakh and English ("сорок четыре
ноль ноль" → "44 0 0"). Separators (spaces, dashes, dots, `|`, emoji) stay in the text: the
recognizers skip them, so the spans still cover what the sender wrote.

The common case (plain text, nothing to undo but lookalikes) is one `str.translate` and an
identity map, so normalization costs next to nothing per message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from prokai.extract.context import trie_regex

# ---------------------------------------------------------------- character tables

CYRILLIC_LOOKALIKES = {
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "У": "Y", "Ү": "Y", "Ѕ": "S", "І": "I", "Ј": "J", "Ԛ": "Q", "Ԝ": "W",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ү": "y",
}
GREEK_LOOKALIKES = {
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ν": "v", "κ": "k", "ρ": "p",
    "α": "a", "ι": "i", "υ": "u",
}
# Characters removed outright (zero-width, BOM, soft hyphen, variation selectors, keycap).
DELETED = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\ufe0e\ufe0f\u20e3\u180e"

_DIGIT_RANGES = [
    (0x0660, 0x0669), (0x06F0, 0x06F9), (0x0966, 0x096F), (0xFF10, 0xFF19), (0x1D7CE, 0x1D7FF),
    (0x2460, 0x2468), (0x24EA, 0x24EA), (0x2776, 0x277E), (0x2780, 0x2788), (0x278A, 0x2792),
    (0x24F5, 0x24FD), (0x2070, 0x2079), (0x2080, 0x2089), (0x00B2, 0x00B3), (0x00B9, 0x00B9),
    (0x1F100, 0x1F10A),
]


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for lo, hi in _DIGIT_RANGES:
        for cp in range(lo, hi + 1):
            d = unicodedata.digit(chr(cp), None)
            if d is not None:
                table[cp] = str(d)
    for cp in range(0xFF01, 0xFF5F):  # fullwidth ASCII
        table[cp] = chr(cp - 0xFEE0)
    table[0x3000] = " "  # ideographic space
    for src, dst in {**CYRILLIC_LOOKALIKES, **GREEK_LOOKALIKES}.items():
        table[ord(src)] = dst
    for ch in " \u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f":
        table[ord(ch)] = " "
    for ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212":
        table[ord(ch)] = "-"
    for ch in DELETED:
        table[ord(ch)] = None
    return table


TABLE = _build_table()
_DELETED_RE = re.compile("[" + re.escape(DELETED) + "]")
_LOOKALIKES = re.escape("".join(CYRILLIC_LOOKALIKES) + "".join(GREEK_LOOKALIKES))


def _ranges(cps: list[int]) -> str:
    """A regex character class body listing code points as ranges (fast to test in sre)."""
    out = []
    cps = sorted(cps)
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        out.append(re.escape(chr(cps[i])) + ("-" + re.escape(chr(cps[j])) if j > i else ""))
        i = j + 1
    return "".join(out)


_OTHER = _ranges([cp for cp, v in TABLE.items() if cp > 127 and v is not None and v not in " -"
                  and chr(cp) not in CYRILLIC_LOOKALIKES and chr(cp) not in GREEK_LOOKALIKES])
# Folding is needed when a lookalike letter touches ASCII letters/digits (mixed-script tokens)
# or when a fullwidth or other-script digit occurs (special spaces and dashes alone are left:
# the recognizers treat them as separators); plain Russian prose has
# neither, and then the text is used as it is (str.translate with a table costs ~15 µs).
# Anything `normalize` may have to undo, in one scan: a deleted mark or a reason to fold.
_SPECIAL_RE = re.compile(f"[{re.escape(DELETED)}{_OTHER}]|[A-Za-z0-9][{_LOOKALIKES}]|[{_LOOKALIKES}][A-Za-z0-9]")


# ---------------------------------------------------------------- number words

_UNITS = {
    # ru
    "ноль": 0, "нуль": 0, "один": 1, "одна": 1, "одно": 1, "два": 2, "две": 2, "три": 3,
    "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9,
    # kk
    "нөл": 0, "бір": 1, "екі": 2, "үш": 3, "төрт": 4, "бес": 5, "алты": 6, "жеті": 7,
    "сегіз": 8, "тоғыз": 9,
    # en
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9,
}
_TEENS = {
    "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14,
    "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18,
    "девятнадцать": 19,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60,
    "семьдесят": 70, "восемьдесят": 80, "девяносто": 90,
    "он": 10, "жиырма": 20, "отыз": 30, "қырық": 40, "елу": 50, "алпыс": 60, "жетпіс": 70, "сексен": 80,
    "тоқсан": 90,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_HUNDREDS = {
    "сто": 100, "двести": 200, "триста": 300, "четыреста": 400, "пятьсот": 500, "шестьсот": 600,
    "семьсот": 700, "восемьсот": 800, "девятьсот": 900,
}
_MULT_HUNDRED = {"hundred", "жүз"}  # "four hundred", "төрт жүз"; alone: 100
_THOUSANDS = {"тысяча", "тысячи", "тысяч", "тысячу", "мың", "thousand"}  # "четыре тысячи триста один": 4301

NUMBER_WORDS = {**_UNITS, **_TEENS, **_TENS, **_HUNDREDS, **dict.fromkeys(_MULT_HUNDRED, 100),
                **dict.fromkeys(_THOUSANDS, 1000)}
_WORD_TOKEN_RE = re.compile(r"[^\W\d_]+")
# A prefix trie without boundary assertions lets sre skip to candidate first letters quickly;
# word boundaries are checked on the few hits.
_NUMBER_WORD_RE = re.compile(trie_regex(NUMBER_WORDS))


def _may_hold_number_words(lower: str) -> bool:
    """Cheap test before the word scan: two number words, or one digit word dictated among
    digits ("8 семь 0 1 два 3 …")."""
    n = 0
    size = len(lower)
    for m in _NUMBER_WORD_RE.finditer(lower):
        a, b = m.span()
        if (a == 0 or not lower[a - 1].isalpha()) and (b == size or not lower[b].isalpha()):
            n += 1
            if n == 2 or (m.group() in _UNITS and _next_to_lone_digit(lower, a, b)):
                return True
    return False


_RUN_GAP_RE = re.compile(r"[\s,.\-–—]{1,3}")
_GAP_CHARS = frozenset(" \t\n\r\f\v\u00a0,.-–—")  # what _RUN_GAP_RE allows between words


def _next_to_lone_digit(lower: str, a: int, b: int) -> bool:
    """Whether the word at [a, b) has a lone digit ("8 семь", "два 3") next to it, across one
    to three separators: a number dictated digit by digit, part in words."""
    i, k = a - 1, 0
    while i >= 0 and k < 3 and lower[i] in _GAP_CHARS:
        i, k = i - 1, k + 1
    if k and i >= 0 and lower[i] in _ASCII_DIGITS and (i == 0 or not lower[i - 1].isalnum()):
        return True
    j, k = b, 0
    while j < len(lower) and k < 3 and lower[j] in _GAP_CHARS:
        j, k = j + 1, k + 1
    return bool(k) and j < len(lower) and lower[j] in _ASCII_DIGITS and (
        j + 1 == len(lower) or not lower[j + 1].isalnum())


_ASCII_DIGITS = frozenset("0123456789")


def lower_same_length(text: str) -> str:
    """`text.lower()` with every character kept in place (so offsets stay valid; 'İ' → 'i')."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower()[0] for c in text)


_PUNCT = ",.;:!?()[]{}\"'«»-—–/|*+=_"


def _number_word_runs(text: str, lower: str | None = None) -> list[list[tuple[str, int, int]]]:
    """Runs of at least two number words separated only by spaces, commas or dashes, and
    single digit words dictated among digits ("8 семь 0 1 два 3 …")."""
    if lower is None:
        lower = lower_same_length(text)
    if not _may_hold_number_words(lower):
        return []  # cheap test before the word scan
    runs: list[list[tuple[str, int, int]]] = []
    cur: list[tuple[str, int, int]] = []

    def close() -> None:
        if len(cur) >= 2 or (cur and cur[0][0] in _UNITS and _next_to_lone_digit(lower, cur[0][1], cur[0][2])):
            runs.append(cur)

    for m in _WORD_TOKEN_RE.finditer(lower):
        w = m.group(0)
        if w in NUMBER_WORDS:
            if cur and not _RUN_GAP_RE.fullmatch(lower, cur[-1][2], m.start()):
                close()
                cur = []
            cur.append((w, m.start(), m.end()))
        else:
            close()
            cur = []
    close()
    return runs


def _value(items: list[tuple[str, int, int, int]]) -> int:
    return sum(v for _, v, _, _ in items)


def _compose(words: list[tuple[str, int, int]], text: str = "") -> list[tuple[str, int, int]]:
    """Group number words into numbers: ("сорок", "четыре") → "44", ("четыре", "тысячи",
    "триста", "один") → "4301", ("төрт", "жүз") → "400"; a comma between words ends a number.
    Returns (digits, start, end) per number."""
    out: list[tuple[str, int, int]] = []
    cur: list[tuple[str, int, int, int]] = []  # (slot k/h/t/u, value, start, end)

    def flush() -> None:
        if cur:
            out.append((str(_value(cur)), cur[0][2], cur[-1][3]))
            cur.clear()

    def slots() -> set[str]:
        return {slot for slot, _, _, _ in cur}

    prev_end = None
    for word, s, e in words:
        if prev_end is not None and ("," in text[prev_end:s] or ";" in text[prev_end:s]):
            flush()
        prev_end = e
        w = word.lower()
        if w in _THOUSANDS:
            if "k" in slots():  # "… төрт мың": the words since the last hundred multiply
                tail: list[tuple[str, int, int, int]] = []
                while cur and cur[-1][0] in "tu" and len(tail) < 2:
                    tail.insert(0, cur.pop())
                flush()
                cur.extend(tail)
            mult = _value(cur) or 1
            start = cur[0][2] if cur else s
            cur.clear()
            cur.append(("k", mult * 1000, start, e))
            continue
        if w in _MULT_HUNDRED:
            if cur and cur[-1][0] == "u" and "h" not in slots() and "t" not in slots():
                _, u, us, _ = cur.pop()
                cur.append(("h", u * 100, us, e))
                continue
            if slots() - {"k"}:
                flush()
            cur.append(("h", 100, s, e))
            continue
        if w in _HUNDREDS:
            slot, val, blocked = "h", _HUNDREDS[w], bool(slots() - {"k"})
        elif w in _TENS or w in _TEENS:
            val = _TENS.get(w) or _TEENS[w]
            slot, blocked = ("t" if w in _TENS else "teen"), bool(slots() & {"t", "u", "teen"})
        else:
            slot, val = "u", _UNITS[w]
            blocked = bool(slots() & {"u", "teen"}) or (val == 0 and bool(cur))  # "сорок ноль": 40, 0
        if blocked:
            flush()
        cur.append((slot, val, s, e))
    flush()
    return out


# ---------------------------------------------------------------- the normalized document


@dataclass
class Normalized:
    """Normalized text plus the map back: output char i came from original[starts[i]:ends[i]]."""

    original: str
    text: str
    starts: list[int] | None = None  # None: identity map
    ends: list[int] | None = None
    words_used: bool = False
    changed: bool = False

    def span(self, a: int, b: int) -> tuple[int, int]:
        """Original [start, end) covering normalized [a, b)."""
        if self.starts is None or self.ends is None:
            return a, b
        if b <= a:
            return self.starts[a], self.starts[a]
        return self.starts[a], self.ends[b - 1]

    def touched_words(self, a: int, b: int) -> bool:
        """Whether normalized [a, b) includes characters that came from number words."""
        if not self.words_used or self.starts is None or self.ends is None:
            return False
        return any(self.ends[i] - self.starts[i] > 1 for i in range(a, b))


def normalize(text: str, lower: str | None = None) -> Normalized:
    """Normalize `text` for matching (`lower`: its `lower_same_length`, when the caller has it);
    see the module docstring for what is undone."""
    runs = _number_word_runs(text, lower)
    if not runs:
        special = _SPECIAL_RE.search(text)
        if special is None:
            return Normalized(text, text)
        if not _DELETED_RE.search(text, special.start()):  # the first special is at or before it
            out = text.translate(TABLE)
            return Normalized(text, out, changed=out != text)
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []

    def add_chars(a: int, b: int) -> None:
        # Runs between deleted marks map one to one (every other table entry is one character).
        for m in _DELETED_RE.finditer(text, a, b):
            i = m.start()
            if a < i:
                pieces.append(text[a:i].translate(TABLE))
                starts.extend(range(a, i))
                ends.extend(range(a + 1, i + 1))
            if ends and ends[-1] == i:
                ends[-1] = i + 1  # a deleted mark belongs to the character before it
            a = i + 1
        if a < b:
            pieces.append(text[a:b].translate(TABLE))
            starts.extend(range(a, b))
            ends.extend(range(a + 1, b + 1))

    pos = 0
    for words in runs:
        add_chars(pos, words[0][1])
        numbers = _compose(words, text)
        last_end = words[0][1]
        for k, (digits, s, e) in enumerate(numbers):
            if k:
                pieces.append(" ")
                starts.append(last_end)
                ends.append(s)
            for d in digits:
                pieces.append(d)
                starts.append(s)
                ends.append(e)
            last_end = e
        pos = words[-1][2]
    add_chars(pos, len(text))
    return Normalized(text, "".join(pieces), starts, ends, words_used=bool(runs), changed=True)
