"""Registered recognizers, one per requisite kind, Presidio style:
pattern → normalization → validation → context, each result carrying its evidence.

A recognizer is any object with `kind`, `name` and `find(doc) -> list[Found]`; `register()` adds
one to `REGISTRY`, which `extract()` runs in order. All patterns compile once at import.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from stdnum import iban as stdnum_iban

from prokai.extract import bins, cards, context
from prokai.extract.checksums import mod97
from prokai.extract.kinds import KZ_BANK_CODES, phone_e164
from prokai.extract.normalize import Normalized, lower_same_length, normalize
from prokai.extract.types import Found
from prokai.extract.wallets import (
    WalletCheck,
    check_btc,
    check_eth,
    check_ltc,
    check_ton,
    check_trx,
    check_xmr,
)

_DIGIT_BYTES = b"0123456789"
_LATIN_BYTES = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass
class Doc:
    """One text under analysis: the original, its lower case, and the normalized form."""

    original: str
    assume_payment: bool = False  # a phone that nothing around speaks of is a payment phone
    norm: Normalized = field(init=False)
    _lower: str | None = field(default=None, init=False, repr=False)
    _amounts: list[context.Amount] | None = field(default=None, init=False, repr=False)
    _clusters: list[tuple[int, int, list[cards.Group]]] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._lower = lower_same_length(self.original)
        self.norm = normalize(self.original, self._lower)
        raw = self.norm.text.encode("utf-8", "surrogatepass")  # bytes.translate is ~15x faster
        self.digits = len(raw) - len(raw.translate(None, _DIGIT_BYTES))
        self.latin = len(raw) - len(raw.translate(None, _LATIN_BYTES))

    # Lazily computed; plain properties with a slot, because functools.cached_property takes a
    # lock on every first access in Python 3.11 (measurable at tens of thousands of messages/s).
    @property
    def lower(self) -> str:
        """Lower-cased original, same length (offsets stay valid)."""
        assert self._lower is not None
        return self._lower

    @property
    def amounts(self) -> list[context.Amount]:
        """Amounts with a currency stated anywhere in the text."""
        if self._amounts is None:
            self._amounts = context.amounts(self.lower)
        return self._amounts

    @property
    def clusters(self) -> list[tuple[int, int, list[cards.Group]]]:
        """Digit clusters with at least ten digits (start, end, groups) in the normalized text,
        found once and shared by the card and phone recognizers."""
        if self._clusters is None:
            text = self.norm.text
            out = []
            for m in cards.CLUSTER_RE.finditer(text):
                if m.end() - m.start() >= 10:
                    groups = cards.split_groups(text, m.start(), m.end())
                    if sum(len(g.digits) for g in groups) >= 10:
                        out.append((m.start(), m.end(), groups))
            self._clusters = out
        return self._clusters

    def method_for(self, a: int, b: int, lookalike: bool = False) -> str:
        """How a normalized span [a, b) was read: pattern, normalized, words or lookalike."""
        if self.norm.touched_words(a, b):
            return "words"
        if lookalike:
            return "lookalike"
        s, e = self.norm.span(a, b)
        if self.original[s:e] != self.norm.text[a:b]:
            return "normalized"
        return "pattern"


class Recognizer(Protocol):
    kind: str
    name: str

    def applies(self, doc: Doc) -> bool:
        """Cheap gate: False when the text cannot hold this kind (skips `find`)."""
        ...

    def find(self, doc: Doc) -> list[Found]: ...


REGISTRY: list[Recognizer] = []


def register(rec: Recognizer) -> Recognizer:
    """Add a recognizer to the registry (replacing one with the same name)."""
    for i, old in enumerate(REGISTRY):
        if old.name == rec.name:
            REGISTRY[i] = rec
            return rec
    REGISTRY.append(rec)
    return rec


# ---------------------------------------------------------------- cards


class CardRecognizer:
    """13–19 digits (separators, words and lookalikes allowed), Luhn, issuer table, BIN data."""

    kind = "card"
    name = "card"

    def applies(self, doc: Doc) -> bool:
        return doc.digits >= 7

    def find(self, doc: Doc) -> list[Found]:
        text = doc.norm.text
        out: list[Found] = []
        for _, _, groups in doc.clusters:
            if sum(len(g.digits) for g in groups) < 13:
                continue
            for gi, gj, number, brand in cards.card_candidates(groups, text):
                a, b = groups[gi].start, groups[gj].end
                if cards.masked_near(text, a, b):
                    continue
                start, end = doc.norm.span(a, b)
                if context.id_labeled(doc.lower, start, end):
                    continue  # this number is the order/ticket/tracking/ID number itself
                pos = context.card_words(doc.lower, start, end)
                lookalike = any(g.lookalike for g in groups[gi : gj + 1])
                conf = 0.97 if pos else 0.88
                if lookalike:
                    conf -= 0.1
                info = bins.lookup(number)
                found = Found(
                    kind="card", value=number, start=start, end=end,
                    method=doc.method_for(a, b, lookalike), checksum="luhn", confidence=conf,
                    raw=doc.original[start:end], context=sorted({w for w, _ in pos}), brand=brand,
                )
                if info:
                    found.bank = info.bank or info.issuer or None
                    found.country = info.country
                    found.confidence = min(0.99, found.confidence + 0.02)
                out.append(found)
        return out


# ---------------------------------------------------------------- IBAN

# The look-behind (no letter or digit before the IBAN) after the first letter: a pattern that
# begins with a character class lets sre skip to candidate starts.
# Separators may stand between any two characters ("KZ 86 125K …", "K Z 8 6 …").
_IBAN_RE = re.compile(r"[A-Za-z](?<![A-Za-z0-9].)[^\w]{0,3}[A-Za-z][^\w]{0,3}[0-9][^\w]{0,3}[0-9]"
                      r"(?:[^\w]{0,3}[A-Za-z0-9]){10,32}")


class IbanRecognizer:
    """IBANs: mod-97 and per-country format through python-stdnum; KZ bank code → bank."""

    kind = "iban"
    name = "iban"

    def applies(self, doc: Doc) -> bool:
        return doc.digits >= 4 and doc.latin >= 15

    def find(self, doc: Doc) -> list[Found]:
        text = doc.norm.text
        out: list[Found] = []
        pos = 0
        # A match that holds no IBAN is tried again from its next character: "ID 4003 … send
        # to KZ86 …" matches from "ID" (separators may follow the country code) and would
        # swallow the IBAN after it.
        while (m := _IBAN_RE.search(text, pos)) is not None:
            pos = m.start() + 1
            chars = [(c.upper(), m.start() + i) for i, c in enumerate(m.group(0)) if c.isalnum()]
            compact = "".join(c for c, _ in chars)
            for n in range(min(len(compact), 34), 14, -1):
                cand = compact[:n]
                if n < len(compact) and chars[n][1] == chars[n - 1][1] + 1:
                    continue  # would cut a word or number in half
                if mod97(cand[4:] + cand[:4]) == 1 and stdnum_iban.is_valid(cand):  # cheap check first
                    a, b = chars[0][1], chars[n - 1][1] + 1
                    start, end = doc.norm.span(a, b)
                    f = Found(kind="iban", value=cand, start=start, end=end,
                              method=doc.method_for(a, b), checksum="mod97", confidence=0.97,
                              raw=doc.original[start:end], country=cand[:2])
                    if cand.startswith("KZ"):
                        f.bank = KZ_BANK_CODES.get(cand[4:7])
                    out.append(f)
                    pos = m.end()
                    break
        return out


# ---------------------------------------------------------------- phones (payment context only)

PHONE_REGIONS = ("KZ", "RU")
_PHONE_PARAM_RE = re.compile(r"(?:phone|tel|number|msisdn)=$", re.IGNORECASE)
_AMOUNT_AFTER_RE = re.compile(r"[ \u00a0]?(?:₸|тг|тенге|теңге|руб|₽|\$|usd|kzt|rub|сом|eur|€|usdt)", re.IGNORECASE)


def phone_candidates(groups: list[cards.Group]) -> list[tuple[int, int, str]]:
    """Phone numbers among a cluster's digit groups: (first group, last group, E.164).

    Eleven digits starting with 7 or 8 in any grouping ("+7 777 123 45 67", "8-7771-234567"),
    or ten without the trunk prefix when printed as a phone ("777 123 45 67", "(916) 1234567")
    or dictated digit by digit ("7 0 1 2 …", "семь ноль один два …");
    each must be a KZ/RU mobile number. The longest from each group wins, left to right."""
    out: list[tuple[int, int, str]] = []
    n = len(groups)
    lens = [len(g.digits) for g in groups]
    i = 0
    while i < n:
        best: tuple[int, int, str] | None = None
        total = 0
        first = groups[i].digits[:1]
        for j in range(i, n):
            if not lens[j]:
                break
            total += lens[j]
            if total > 11:
                break
            e164 = None
            if total == 11 and first in ("7", "8"):
                e164 = phone_e164("".join(g.digits for g in groups[i : j + 1])[1:])
            elif total == 10 and first in ("7", "9") and (j == i or lens[i] == 3 or j - i == 9):
                # one block, a 3-digit code first, or dictated digit by digit ("семь ноль один …")
                e164 = phone_e164("".join(g.digits for g in groups[i : j + 1]))
            if e164 and cards.mostly_real(groups[i : j + 1]):
                best = (i, j, e164)
        if best:
            out.append(best)
            i = best[1] + 1
        else:
            i += 1
    return out


class PhoneRecognizer:
    """KZ/RU mobile numbers (E.164), emitted only when their sentence says to pay to them."""

    kind = "phone"
    name = "phone"

    def applies(self, doc: Doc) -> bool:
        return doc.digits >= 6  # lookalike letters may stand for the rest

    def find(self, doc: Doc) -> list[Found]:
        text = doc.norm.text
        out: list[Found] = []
        for _, _, groups in doc.clusters:
            for gi, gj, e164 in phone_candidates(groups):
                a, b = groups[gi].start, groups[gj].end
                if _AMOUNT_AFTER_RE.match(text, b):
                    continue  # a price, not a phone
                if a and (text[a - 1] in "=&?/#@_" or (text[a - 1].isascii() and text[a - 1].isalnum())) \
                        and not _PHONE_PARAM_RE.search(text, max(0, a - 8), a):
                    continue  # a value in a link or query string ("?amount=7000000000"), not "?phone="
                if len(set(e164[5:])) == 1:
                    continue  # "700 000 00 00": no subscriber has seven equal digits
                start, end = doc.norm.span(a, b)
                if context.id_labeled(doc.lower, start, end):
                    continue
                pay, words = context.phone_decision(doc.lower, start, end)
                if pay is None and doc.assume_payment:
                    # only a phone written as one: trunk prefix, phone separators (not OCR noise)
                    pay = sum(len(g.digits) for g in groups[gi : gj + 1]) == 11 and not any(
                        c not in " -()+." for c in text[a:b] if not c.isdigit())
                if not pay:
                    continue
                lookalike = any(g.lookalike for g in groups[gi : gj + 1])
                out.append(Found(kind="phone", value=e164, start=start, end=end,
                                 method=doc.method_for(a, b, lookalike), checksum="e164",
                                 confidence=0.8 if lookalike else 0.9, raw=doc.original[start:end],
                                 context=words, country="KZ" if e164[2] == "7" else "RU"))
        return out


# ---------------------------------------------------------------- crypto

_B58 = "1-9A-HJ-NP-Za-km-z"
_B32 = "02-9ac-hj-np-zAC-HJ-NP-Z"
_NB = r"(?![A-Za-z0-9])"
_PB = r"(?<![A-Za-z0-9])"


@dataclass
class WalletPattern:
    kind: str
    regex: re.Pattern[str]
    check: Callable[[str], WalletCheck | None]
    first: str  # the characters a match can begin with


def _xmr_main(s: str) -> WalletCheck | None:
    return check_xmr(s, mainnet_only=True)


WALLET_PATTERNS = [
    WalletPattern("btc", re.compile(_PB + rf"(?:bc1|BC1)[{_B32}]{{8,87}}" + _NB), check_btc, "bB"),
    WalletPattern("btc", re.compile(_PB + rf"[13][{_B58}]{{25,34}}" + _NB), check_btc, "13"),
    WalletPattern("ltc", re.compile(_PB + rf"(?:ltc1|LTC1)[{_B32}]{{8,87}}" + _NB), check_ltc, "lL"),
    WalletPattern("ltc", re.compile(_PB + rf"[LM][{_B58}]{{26,33}}" + _NB), check_ltc, "LM"),
    WalletPattern("trx", re.compile(_PB + rf"T[{_B58}]{{33}}" + _NB), check_trx, "T"),
    WalletPattern("eth", re.compile(_PB + r"0[xX][0-9a-fA-F]{40}(?![0-9A-Za-z])"), check_eth, "0"),
    WalletPattern("xmr", re.compile(_PB + rf"[48][{_B58}]{{94}}(?:[{_B58}]{{11}})?" + _NB), _xmr_main, "48"),
    WalletPattern("ton", re.compile(r"(?:(?<=transfer/)|(?<![\w\-+/]))[EUk0][Qf][A-Za-z0-9_\-+/]{46}(?![\w\-+/=])"), check_ton, "EUk0"),
    WalletPattern("ton", re.compile(r"(?<![\w:\-])(?:-1|0):[0-9a-fA-F]{64}(?![0-9a-fA-F])"), check_ton, "-0"),
]
# Addresses written in chunks ("bc1q w508 d6qe …", "TJ8x-4Fq…", "0x52 9084 …"): up to 41 chunks
# separated by one to three non-word characters (spaces, dashes, dots, bars, bullets, emoji).
# (Look-behinds after the first character here: a pattern that begins with a character class
# lets sre skip to candidate starts.)
_CHUNKS_RE = re.compile(r"[A-Za-z0-9](?<![\w].)[A-Za-z0-9]+(?:[^\w]{1,3}[A-Za-z0-9]+){1,40}(?![\w])")
_CHUNK_LENGTHS = set(range(26, 36)) | set(range(42, 91)) | {95, 106}
_CHUNK_START_RE = re.compile(r"(?:bc1|BC1|ltc1|LTC1|0x|[13LMT48]|[EUk0][Qf])")
_PIECE_RE = re.compile(r"[A-Za-z0-9]+")
_TON_CHUNKS_RE = re.compile(r"[EUk0](?<![\w\-+/].)[Qf][A-Za-z0-9_\-+/]*(?:[ \t\n]{1,3}[A-Za-z0-9_\-+/]+){1,16}")
_TON_PIECE_RE = re.compile(r"[A-Za-z0-9_\-+/]+")
_LETTER_BYTES = _LATIN_BYTES[10:]


def _ascii_letters(text: str) -> int:
    """How many ASCII letters `text` holds (bytes.translate: no per-character Python)."""
    raw = text.encode("utf-8", "surrogatepass")
    return len(raw) - len(raw.translate(None, _LETTER_BYTES))


_TOKEN_RE = re.compile(r"[A-Za-z0-9_\-+/:]{25,}|(?:bc1|BC1|ltc1|LTC1)[A-Za-z0-9]{6,}")


class WalletRecognizer:
    """Crypto addresses of every kind in one pass: each run of 25+ address characters is
    tried against the kinds' patterns, and a match must pass its kind's validator
    (`wallets.py`)."""

    kind = "crypto"
    name = "wallets"

    def applies(self, doc: Doc) -> bool:
        return doc.latin >= 14  # the shortest valid segwit address has 14 characters

    @staticmethod
    def found(doc: Doc, kind: str, res: WalletCheck, a: int, b: int, method: str | None = None) -> Found:
        """The result for a validated address at normalized [a, b)."""
        start, end = doc.norm.span(a, b)
        conf = 0.98 if res.checksum != "none" else 0.8
        return Found(kind=kind, value=res.value, start=start, end=end,
                     method=method or doc.method_for(a, b), checksum=res.checksum, confidence=conf,
                     raw=doc.original[start:end], network=res.network,
                     address_type=res.address_type or None, flags=list(res.flags))

    def find(self, doc: Doc) -> list[Found]:
        text = doc.norm.text
        out: list[Found] = []
        for tm in _TOKEN_RE.finditer(text):
            lo, hi = tm.span()
            # An address starts the token or follows a non-alphanumeric inside it (":" of a URI);
            # each start is tried only against the patterns its first character can begin.
            starts = [lo] + [m.end() for m in _INNER_START_RE.finditer(text, lo, hi)]
            for pos in starts:
                for p in _PATTERNS_BY_FIRST.get(text[pos], ()):
                    m = p.regex.match(text, pos, hi)
                    if m is None:
                        continue
                    res = p.check(m.group(0))
                    if res is not None:
                        out.append(self.found(doc, p.kind, res, m.start(), m.end()))
        return out


_INNER_START_RE = re.compile(r"[:/_\-+](?=[A-Za-z0-9\-])")
_PATTERNS_BY_FIRST: dict[str, list[WalletPattern]] = {}
for _p in WALLET_PATTERNS:
    for _c in _p.first:
        _PATTERNS_BY_FIRST.setdefault(_c, []).append(_p)


class ChunkedWalletRecognizer:
    """Crypto addresses broken into chunks by spaces, dashes or bars."""

    kind = "crypto"
    name = "crypto_chunks"

    def applies(self, doc: Doc) -> bool:
        # 26+ address characters, eight of them letters: the shortest chunked address
        return doc.latin >= 26 and doc.latin - doc.digits >= 8

    def find(self, doc: Doc) -> list[Found]:
        text = doc.norm.text
        out: list[Found] = []
        for m in _CHUNKS_RE.finditer(text):
            chunk = m.group(0)
            if len(chunk) < 26 or _ascii_letters(chunk) < 6:
                continue  # digit groups (cards, phones, amounts) are no address
            pieces = [(mm.group(0), mm.start()) for mm in _PIECE_RE.finditer(chunk)]
            left = sum(len(p) for p, _ in pieces)  # characters from piece i to the end
            i = 0
            while i < len(pieces) and left >= 26:  # no address is shorter
                got = self._from(doc, m.start(), pieces, i) if _CHUNK_START_RE.match(pieces[i][0]) else None
                if got is None:
                    left -= len(pieces[i][0])
                    i += 1
                    continue
                found, j = got
                out.append(found)
                left -= sum(len(p) for p, _ in pieces[i : j + 1])
                i = j + 1
        out.extend(self._ton(doc, text))
        return out

    def _ton(self, doc: Doc, text: str) -> list[Found]:
        """TON addresses in chunks: their alphabet holds "-", "_", "+" and "/", so only
        whitespace separates the chunks; the first 48 characters joined must validate."""
        out: list[Found] = []
        for m in _TON_CHUNKS_RE.finditer(text):
            pieces = [(mm.group(0), mm.start()) for mm in _TON_PIECE_RE.finditer(m.group(0))]
            total = 0
            for j, (piece, _) in enumerate(pieces):
                total += len(piece)
                if total > 48:
                    break
                if total == 48 and j > 0:
                    res = check_ton("".join(p for p, _ in pieces[: j + 1]))
                    if res is not None:
                        a = m.start()
                        b = m.start() + pieces[j][1] + len(piece)
                        out.append(WalletRecognizer.found(doc, "ton", res, a, b, method="normalized"))
                    break
        return out

    def _from(self, doc: Doc, base: int, pieces: list[tuple[str, int]], i: int) -> tuple[Found, int] | None:
        """The longest address made of pieces i..j (j > i), if any."""
        patterns = _PATTERNS_BY_FIRST.get(pieces[i][0][0])  # only those its first character can begin
        if not patterns:
            return None
        lengths = []
        total = len(pieces[i][0])
        for j in range(i + 1, len(pieces)):
            total += len(pieces[j][0])
            if total > 106:
                break
            if total in _CHUNK_LENGTHS:
                lengths.append(j)
        for j in reversed(lengths):
            compact = "".join(p for p, _ in pieces[i : j + 1])
            for p in patterns:
                if not p.regex.fullmatch(compact):
                    continue
                res = p.check(compact)
                if res is None:
                    continue
                a = base + pieces[i][1]
                b = base + pieces[j][1] + len(pieces[j][0])
                return WalletRecognizer.found(doc, p.kind, res, a, b, method="normalized"), j
        return None


_DEFAULT: list[Recognizer] = [CardRecognizer(), IbanRecognizer(), PhoneRecognizer(),
                               WalletRecognizer(), ChunkedWalletRecognizer()]
for _rec in _DEFAULT:
    register(_rec)
