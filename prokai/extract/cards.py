"""Card numbers: issuer prefix/length table, Luhn, and digit-run clustering over separators."""

from __future__ import annotations

import re
from dataclasses import dataclass

from prokai.extract.checksums import luhn_ok

# (brand, prefix ranges as (lo, hi) on the first `len(lo)` digits, allowed lengths). Order matters:
# the first matching row wins, so the narrow ranges come before the broad ones.
ISSUERS: list[tuple[str, list[tuple[str, str]], frozenset[int]]] = [
    ("mir", [("2200", "2204")], frozenset({16, 17, 18, 19})),
    ("mastercard", [("2221", "2720"), ("51", "55")], frozenset({16})),
    ("visa", [("4", "4")], frozenset({13, 16, 19})),
    ("amex", [("34", "34"), ("37", "37")], frozenset({15})),
    ("jcb", [("3528", "3589")], frozenset({16, 17, 18, 19})),
    ("diners", [("300", "305"), ("3095", "3095"), ("36", "36"), ("38", "39")],
     frozenset({14, 15, 16, 17, 18, 19})),
    ("discover", [("6011", "6011"), ("644", "649"), ("65", "65")], frozenset({16, 17, 18, 19})),
    ("unionpay", [("62", "62"), ("81", "81")], frozenset({16, 17, 18, 19})),
    ("uzcard", [("8600", "8600")], frozenset({16})),
    ("humo", [("9860", "9860")], frozenset({16})),
    ("maestro", [("50", "50"), ("56", "58"), ("6", "6")], frozenset({13, 14, 15, 16, 17, 18, 19})),
]


def _brand_row(head: str) -> tuple[str, frozenset[int]] | None:
    for brand, ranges, lengths in ISSUERS:
        for lo, hi in ranges:
            if lo <= head[: len(lo)] <= hi:
                return brand, lengths
    return None


# The issuer table above, resolved once for every four-digit prefix (ranges never go deeper).
_BY_PREFIX = {f"{i:04d}": _brand_row(f"{i:04d}") for i in range(10000)}


def brand_of(number: str) -> str | None:
    """Card brand for a digit string whose prefix and length fit the issuer table, else None."""
    row = _BY_PREFIX.get(number[:4])
    return row[0] if row is not None and len(number) in row[1] else None


def card_ok(number: str) -> str | None:
    """Brand when `number` is a plausible card (issuer table + Luhn + not one repeated digit)."""
    if not 13 <= len(number) <= 19:
        return None
    brand = brand_of(number)  # a dict look-up: before the Luhn sum, which costs more
    if brand is None or len(set(number[:-1])) < 2 or not luhn_ok(number):
        return None
    return brand


# Letters that OCR and obfuscators put in place of digits.
DIGIT_LOOKALIKES = {"O": "0", "o": "0", "I": "1", "l": "1", "З": "3", "з": "3", "б": "6", "B": "8",
                    "S": "5", "Z": "2", "Ч": "4", "ч": "4"}
_DL = "".join(DIGIT_LOOKALIKES)
MASK_CHARS = "*•●#×∗⁎✱"
_GROUP = rf"[0-9{_DL}]*[0-9][0-9{_DL}]*"
# Between digit groups: up to eight characters that are not letters, digits or mask characters
# (spaces, punctuation, line breaks, emoji: a flag or a toned hand is two code points, two flags
# with spaces six), or one bullet/star among at most four
# such characters ("4400 • 4301"); two mask characters in a row mean a masked number.
_M = re.escape(MASK_CHARS)
_SEP = rf"[^\w{_M}]{{1,8}}|[^\w{_M}]{{0,2}}[{_M}][^\w{_M}]{{0,2}}|_"
# The first group as a digit, or lookalikes then a digit, with the look-behind after its first
# character: a pattern that begins with a character class lets sre skip to candidate starts.
_NOT_AFTER = rf"(?<![0-9{_M}].)"
_FIRST_GROUP = rf"(?:[0-9]{_NOT_AFTER}|[{_DL}]{_NOT_AFTER}[{_DL}]*[0-9])[0-9{_DL}]*"
CLUSTER_RE = re.compile(rf"{_FIRST_GROUP}(?:(?:{_SEP})(?:{_GROUP}))*")
_GROUP_RE = re.compile(_GROUP)
_MASK_NEAR_RE = re.compile(rf"[{re.escape(MASK_CHARS)}xXхХ]{{2,}}")


@dataclass(slots=True)
class Group:
    digits: str
    start: int  # in normalized text
    end: int
    lookalike: bool
    real: int = 0  # how many of the digits were written as digits


_ASCII_ALPHA = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ASCII_ALNUM = _ASCII_ALPHA | frozenset("0123456789")
_LOOKALIKE_TABLE = str.maketrans(DIGIT_LOOKALIKES)


def split_groups(text: str, start: int, end: int) -> list[Group]:
    """Digit groups of a cluster, lookalike letters converted; a group glued to other letters
    (part of a word or an address) becomes a barrier."""
    groups = []
    size = len(text)
    for m in _GROUP_RE.finditer(text, start, end):
        a, b = m.span()
        if (a > 0 and text[a - 1] in _ASCII_ALPHA) or (b < size and text[b] in _ASCII_ALNUM):
            groups.append(Group("", a, b, False))
            continue
        g = m.group()
        if g.isdigit():
            groups.append(Group(g, a, b, False, b - a))
        else:
            real = sum(c.isdigit() for c in g)
            groups.append(Group(g.translate(_LOOKALIKE_TABLE), a, b, True, real))
    return groups


def mostly_real(groups: list[Group]) -> bool:
    """At least half of the digits were written as digits (the rest lookalike letters)."""
    return 2 * sum(g.real for g in groups) >= sum(len(g.digits) for g in groups)


def _regular(sizes: list[int]) -> bool:
    """Group sizes as cards are printed: one block, 4-4-4-4(-3), 4-6-5 (Amex), 4-6-4 (Diners)."""
    if len(sizes) == 1:
        return True
    if sizes in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(s == 4 for s in sizes[:-1]) and 1 <= sizes[-1] <= 4


def card_candidates(groups: list[Group], text: str = "") -> list[tuple[int, int, str, str]]:
    """Pick card numbers out of a cluster's groups: (first group, last group, number, brand).

    Every run of consecutive groups with 13–19 digits that passes the issuer table and Luhn is a
    candidate if it is printed the way cards are: blocks of four (4-4-4-4, 4-6-5 …), one block,
    or the same separator between all of its groups (digits as words, emoji between blocks).
    The best candidates win (regular and uniform, then 16 digits, then longer), so an amount or
    a phone number written next to a card does not bleed into it.
    """
    digits = [g.digits for g in groups]
    lens = [len(d) for d in digits]
    n = len(groups)
    seps = [text[groups[k].end : groups[k + 1].start] for k in range(n - 1)] if text else []
    if 13 <= sum(lens) <= 19 and all(lens) and len(set(seps)) <= 1:
        if _regular(lens):
            whole = "".join(digits)
            brand = card_ok(whole)  # the common case: the cluster is the card
            if brand and mostly_real(groups):
                return [(0, n - 1, whole, brand)]
        elif seps and max(lens) < 4:
            # Digits dictated one to three at a time with one separator ("4 4 0 0 …"): no run
            # but the whole is printed as a card (a part has its separator outside too).
            whole = "".join(digits)
            brand = card_ok(whole)
            return [(0, n - 1, whole, brand)] if brand and mostly_real(groups) else []
    reals = [g.real for g in groups]
    cands: list[tuple[tuple[int, int, int, int], int, int, str, str]] = []
    for i in range(n):
        total = 0
        sep0 = seps[i] if i < n - 1 and seps else None
        all_four = True  # lens[i..j] are all 4: a longer run may still be printed as a card
        same_sep = i == 0 or sep0 is None or seps[i - 1] != sep0  # and may still be uniform
        for j in range(i, n):
            size = lens[j]
            if not size:
                break
            total += size
            if total > 19:
                break
            if total >= 13:
                regular = _regular(lens[i : j + 1])
                inner = set(seps[i:j]) if seps else set()
                uniform = len(inner) <= 1 and not (
                    inner and ((i > 0 and seps[i - 1] in inner) or (j < n - 1 and seps[j] in inner)))
                if regular or uniform:
                    run = "".join(digits[i : j + 1])
                    brand = card_ok(run)
                    if brand and 2 * sum(reals[i : j + 1]) >= total:  # mostly real digits
                        rank = (int(regular and uniform), int(regular), int(total == 16), total)
                        cands.append((rank, i, j, run, brand))
            # Stop when no longer run from i can be regular (all groups but the last of four,
            # or 4-6-x) nor uniform (one separator inside, another one outside).
            all_four = all_four and size == 4
            if seps and j < n - 1:
                same_sep = same_sep and seps[j] == sep0
                if not (all_four or same_sep or (j == i + 1 and lens[i] == 4 and size == 6)):
                    break
    cands.sort(key=lambda c: (c[0], -c[1]), reverse=True)
    out: list[tuple[int, int, str, str]] = []
    taken: set[int] = set()
    for _, i, j, run, brand in cands:
        if taken.intersection(range(i, j + 1)):
            continue
        taken.update(range(i, j + 1))
        out.append((i, j, run, brand))
    out.sort()
    return out


def masked_near(text: str, start: int, end: int) -> bool:
    """True when mask characters (`**`, `••`, `XX`) sit right next to a digit cluster."""
    return bool(_MASK_NEAR_RE.search(text, max(0, start - 3), min(len(text), end + 3)))
