"""Requisites in images: QR codes (zxing-cpp) and OCR (Tesseract rus+kaz+eng via pytesseract),
then checksum-guided repair of OCR confusions (O/0, l/1, B/8, S/5, З/3 …) that emits only
values passing their validator.

Slow by nature (Tesseract takes around a second per image); nothing on the text path imports
this module.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from PIL import Image, ImageFilter, ImageOps
from stdnum import iban as stdnum_iban

from prokai.extract.cards import card_ok
from prokai.extract.context import speaks_of_payment
from prokai.extract.engine import extract
from prokai.extract.kinds import KZ_BANK_CODES
from prokai.extract.normalize import lower_same_length
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

OCR_LANGS = "rus+kaz+eng"
MAX_VARIANTS = 20000

_DIGIT_FIX = {"O": "0", "o": "0", "Q": "0", "D": "0", "l": "1", "I": "1", "|": "1", "i": "1",
              "!": "1", "B": "8", "S": "5", "s": "5", "Z": "2", "z": "2", "G": "6", "b": "6",
              "g": "9", "q": "9", "T": "7", "З": "3", "з": "3", "б": "6", "ч": "4", "Ч": "4",
              "О": "0", "о": "0", "В": "8"}


@dataclass
class ImageResult:
    """What an image yielded: the OCR text, the QR payloads and the requisites found."""

    text: str = ""
    qr: list[str] = field(default_factory=list)
    found: list[Found] = field(default_factory=list)


def _load(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def decode_qr(img: Image.Image) -> list[str]:
    """Texts of all QR (and other) barcodes in the image."""
    import zxingcpp

    return [r.text for r in zxingcpp.read_barcodes(img.convert("RGB")) if r.text]


def _prepare(img: Image.Image) -> Image.Image:
    """Grayscale, remove speckle noise, stretch contrast; small images are upscaled."""
    gray = ImageOps.grayscale(img)
    gray = gray.filter(ImageFilter.MedianFilter(3))
    if gray.height < 60:
        gray = gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.LANCZOS)
    return ImageOps.autocontrast(gray)


def ocr_text(img: Image.Image, langs: str = OCR_LANGS) -> str:
    """Tesseract OCR of the prepared image (one uniform block of text)."""
    import pytesseract

    return str(pytesseract.image_to_string(_prepare(img), lang=langs, config="--psm 6"))


_RAPID: list[object] = []


def rapid_text(img: Image.Image) -> str:
    """RapidOCR (PP-OCRv4 det/rec ONNX models shipped inside the wheel; Latin and digits, no
    Cyrillic): the recognized boxes as lines, top to bottom, left to right within a line."""
    import numpy as np
    from rapidocr_onnxruntime import RapidOCR

    if not _RAPID:
        _RAPID.append(RapidOCR())
    engine = _RAPID[0]
    result, _ = engine(np.array(img.convert("RGB")))  # type: ignore[operator]
    if not result:
        return ""
    boxes = sorted(((min(p[1] for p in box), max(p[1] for p in box), min(p[0] for p in box), text)
                    for box, text, _score in result), key=lambda b: (b[0] + b[1]) / 2)
    lines: list[list[tuple[float, float, float, str]]] = []
    for b in boxes:
        if lines and (b[0] + b[1]) / 2 < lines[-1][0][1]:
            lines[-1].append(b)
        else:
            lines.append([b])
    return "\n".join(" ".join(t for *_, t in sorted(line, key=lambda b: b[2])) for line in lines)


OCR_ENGINES = ("tesseract", "rapidocr", "both")


# ---------------------------------------------------------------- checksum-guided repair

_B58 = set("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
_HEX = set("0123456789abcdefABCDEF")
_BECH = set("qpzry9x8gf2tvdw0s3jn54khce6mua7l")
_B64 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/")
# Characters OCR emits for something outside the alphabet, and what they may stand for.
_FORCED_ANY = {"/": "71", "|": "1l", "!": "1", "]": "j1", ")": "j", "¢": "c", "©": "c", "é": "6",
               "§": "5", "$": "S", "°": "", "’": "", "'": "", "`": "", "“": "", "”": "",
               "А": "A", "В": "B", "С": "C", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
               "Р": "P", "Т": "T", "Х": "X", "а": "a", "е": "e", "о": "o", "р": "p", "с": "c",
               "у": "y", "х": "x", "б": "6", "З": "3", "з": "3", "ч": "4", "Ч": "4", "д": "d",
               "г": "r", "и": "u", "п": "n", "ь": "b", "Ь": "b", "і": "i", "І": "I", "ј": "j"}


_CARDISH_RE = re.compile(r"[0-9A-Za-zЗзбчЧОоВ|!](?:[0-9A-Za-zЗзбчЧОоВ|! \-.,'·•]){14,30}[0-9A-Za-zЗзбчЧОоВ|!]")


_DROPPABLE = set("/|!])¢©é§$°’'`“”")


@dataclass(frozen=True)
class RepairSpec:
    """How to repair one kind of address read by OCR."""

    kind: str
    prefix: re.Pattern[str]
    alphabet: frozenset[str]
    lengths: frozenset[int]
    forced: dict[str, str]  # char outside the alphabet → candidates inside it
    swaps: dict[str, str]  # confusable chars inside the alphabet
    check: Callable[[str], WalletCheck | None]
    lowercase: bool = False


_B58_SWAPS = {"v": "V", "V": "v", "w": "W", "W": "w", "x": "X", "X": "x", "c": "C", "C": "c",
              "s": "S5", "S": "s5", "5": "S", "z": "Z2", "Z": "z2", "2": "Z", "k": "K", "K": "k",
              "p": "P", "P": "p", "y": "Y", "Y": "y", "u": "U", "U": "u", "J": "j", "j": "J",
              "1": "i", "i": "1", "8": "B", "B": "8", "6": "G", "G": "6", "9": "g", "g": "9q",
              "q": "g9", "7": "T", "T": "7", "o": "ab", "a": "o", "n": "h", "h": "n", "D": "b",
              "b": "D6", "r": "t", "t": "r", "e": "c"}
_B58_FORCED = {"0": "oQD", "O": "oQD", "I": "1Ji", "l": "1i", **_FORCED_ANY}
_HEX_FORCED = {"O": "0", "o": "0", "Q": "0", "D": "0", "l": "1", "I": "1", "i": "1", "S": "5", "k": "E",
               "s": "5", "Z": "2", "z": "2", "G": "6", "g": "9", "q": "9", "T": "7", "t": "7",
               **_FORCED_ANY}
_HEX_SWAPS = {"c": "C", "C": "c", "b": "6", "6": "b", "8": "B", "B": "8", "e": "c", "0": "D",
              "D": "0", "1": "", "f": "F", "F": "f"}
_BECH_FORCED = {"O": "0", "o": "0", "S": "5", "B": "8", "Z": "2", "G": "6", "b": "6", "i": "1",
                "I": "l", "1": "l", "T": "7", **_FORCED_ANY}
_BECH_SWAPS = {"s": "5", "5": "s", "z": "2", "2": "z", "g": "9q", "q": "g9", "9": "gq", "e": "c", "0": "5",
               "c": "e", "u": "v", "v": "u", "l": "7", "7": "l", "6": "", "8": "", "a": "d",
               "d": "a"}

# TON's base64 holds 0, O, I and l, which base58 lacks: OCR confuses them both ways.
_TON_SWAPS = {**_B58_SWAPS, "0": "O", "O": "0o", "o": "0O", "I": "l1", "l": "I1", "1": "lI", "_": "-", "-": "_"}


def _check_iban(text: str) -> WalletCheck | None:
    """IBAN check for OCR repair. Mod-97 is a weak check (1 in 97 random strings pass), so a
    repaired Kazakh IBAN must also carry a known bank code, and other countries are accepted
    only when nothing but forced stand-ins (Cyrillic К → K, О → 0 in digit places) changed."""
    if not stdnum_iban.is_valid(text):
        return None
    if text.startswith("KZ") and text[4:7] not in KZ_BANK_CODES:
        return None
    return WalletCheck(text, text[:2], "mod97", "iban")


_IBAN_FORCED = {"О": "O0", "о": "0", "o": "0", "l": "1", "i": "1", "|": "1", "З": "3", "з": "3",
                "s": "5", "z": "2", **{k: v.upper() for k, v in _FORCED_ANY.items()}}
_IBAN_SWAPS = {"2": "Z", "Z": "2", "1": "TI", "7": "T", "T": "71", "0": "O", "O": "0", "5": "S",
               "S": "5", "8": "B", "B": "8", "I": "1", "A": "4", "4": "A"}

REPAIR_SPECS = [
    RepairSpec("iban", re.compile(r"^[A-ZА-Я][A-Z0-9А-Я][0-9OZSlI]{2}"),
               frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), frozenset(range(15, 35)),
               _IBAN_FORCED, _IBAN_SWAPS, _check_iban),
    RepairSpec("btc", re.compile(r"^(?:bc|BC|be)[1lI|i]"), frozenset(_BECH | {"b", "c", "1"}),
               frozenset({42, 62}), _BECH_FORCED, _BECH_SWAPS, check_btc, lowercase=True),
    RepairSpec("ltc", re.compile(r"^(?:[lI1|]tc|LTC)[1lI|i]"), frozenset(_BECH | {"t", "c", "1"}),
               frozenset({43, 63}), _BECH_FORCED, _BECH_SWAPS, check_ltc, lowercase=True),
    RepairSpec("btc", re.compile(r"^[13lI|]"), frozenset(_B58), frozenset(range(26, 35)),
               _B58_FORCED, _B58_SWAPS, check_btc),
    RepairSpec("trx", re.compile(r"^[T7]"), frozenset(_B58), frozenset({34}), _B58_FORCED,
               _B58_SWAPS, check_trx),
    RepairSpec("ltc", re.compile(r"^[LM]"), frozenset(_B58), frozenset({34}), _B58_FORCED,
               _B58_SWAPS, check_ltc),
    RepairSpec("xmr", re.compile(r"^[48]"), frozenset(_B58), frozenset({95, 106}), _B58_FORCED,
               _B58_SWAPS, lambda s: check_xmr(s, mainnet_only=True)),
    RepairSpec("eth", re.compile(r"^[0OoQD][xX×]"), frozenset(_HEX | {"x"}), frozenset({42}),
               _HEX_FORCED, _HEX_SWAPS, check_eth),
    RepairSpec("ton", re.compile(r"^[EUk0][Qf0O]"), frozenset(_B64), frozenset({48}),
               {"—": "-", "–": "-", **_FORCED_ANY}, _TON_SWAPS, check_ton),
]


def _fixed_head(spec: RepairSpec, token: str) -> str:
    """Put the fixed prefix right (bc1, ltc1, 0x, T) before searching the rest."""
    if spec.kind == "eth":
        return "0x" + token[2:]
    if spec.lowercase:
        head = "ltc1" if spec.kind == "ltc" else "bc1"
        rest = token[len(head):]
        return head + rest
    if spec.kind == "trx":
        return "T" + token[1:]
    return token


def _forced_options(spec: RepairSpec, token: str, start: int) -> list[list[str]] | None:
    """Per-character candidates: the char itself when it is in the alphabet, else its stand-ins."""
    options: list[list[str]] = []
    for i, ch in enumerate(token):
        if i < start:
            options.append([ch])
            continue
        c = ch
        if spec.lowercase and ch in _BECH_FORCED and ch.isupper():
            options.append(list(_BECH_FORCED[ch]))
            continue
        if spec.lowercase:
            c = ch.lower()
        if c in spec.alphabet and not (spec.lowercase and c in "bio1" and i >= start):
            options.append([c])
            continue
        stand_ins = [x.lower() if spec.lowercase else x for x in spec.forced.get(ch, spec.forced.get(c, ""))]
        stand_ins = [x for x in stand_ins if x in spec.alphabet]
        if ch in _DROPPABLE:
            stand_ins.append("")  # a stray mark OCR added: may also be dropped
        if not stand_ins:
            if spec.forced.get(ch) == "":
                options.append([""])  # stray mark: drop it
                continue
            return None
        options.append(stand_ins)
    return options


def _search(spec: RepairSpec, token: str) -> dict[str, tuple[WalletCheck, int]]:
    """Checksum-guided search: forced stand-ins, then up to two swaps, one stray or lost char."""
    start = {"eth": 2, "trx": 1}.get(spec.kind, 0)
    if spec.kind == "iban":
        token = token.upper()
    if spec.lowercase:
        start = 4 if spec.kind == "ltc" else 3
    token = _fixed_head(spec, token)
    options = _forced_options(spec, token, start)
    if options is None:
        return {}
    if spec.kind == "iban" and len(options) > 4:  # country letters, then check digits
        to_letter = {"2": "Z", "0": "O", "1": "I", "5": "S", "8": "B", "7": "T", "4": "A"}
        to_digit = {"Z": "2", "O": "0", "I": "1", "S": "5", "B": "8", "T": "7", "L": "1"}
        options[:2] = [[to_letter.get(c, c) for c in o if to_letter.get(c, c).isalpha()] for o in options[:2]]
        options[2:4] = [[to_digit.get(c, c) for c in o if to_digit.get(c, c).isdigit()] for o in options[2:4]]
        if not all(options[:4]):
            return {}
    hits: dict[str, tuple[WalletCheck, int]] = {}
    budget = [2000 if spec.kind in ("eth", "xmr") else MAX_VARIANTS]
    bases = ["".join(combo) for combo in itertools.islice(itertools.product(*options), 256)]

    def test(cand: str, cost: int) -> bool:
        budget[0] -= 1
        res = spec.check(cand)
        if res is not None:
            prev = hits.get(res.value)
            if prev is None or prev[1] > cost:
                hits[res.value] = (res, cost)
        return budget[0] > 0

    def swapped(base: str, n_swaps: int) -> Iterator[str]:
        swaps = [i for i in range(start, len(base)) if spec.swaps.get(base[i])]
        for combo in itertools.combinations(swaps, n_swaps):
            for repl in itertools.product(*(spec.swaps[base[i]] for i in combo)):
                chars = list(base)
                for i, r in zip(combo, repl, strict=True):
                    chars[i] = r
                yield "".join(chars)

    max_cost = 2
    if spec.kind == "iban" and not token.startswith(("KZ", "К", "K")):
        max_cost = 0
    for cost in range(0, max_cost + 1):
        for base in bases:
            n = len(base)
            if n in spec.lengths:
                for cand in swapped(base, cost):
                    if not test(cand, cost):
                        return hits
            if spec.kind == "iban":
                continue  # mod-97 is too weak to also search over lost or stray characters
            if cost >= 1 and n - 1 in spec.lengths:  # one stray character read in
                for i in range(start, n):
                    for cand in swapped(base[:i] + base[i + 1 :], cost - 1):
                        if not test(cand, cost):
                            return hits
            if cost == 2 and n - 2 in spec.lengths and spec.kind not in ("eth", "xmr"):
                for i, j in itertools.combinations(range(start, n), 2):  # two stray characters
                    if not test(base[:i] + base[i + 1 : j] + base[j + 1 :], cost):
                        return hits
            if cost == 2 and n + 1 in spec.lengths and spec.kind not in ("eth", "xmr"):
                for i in range(start, n + 1):  # one character lost
                    for ch in sorted(spec.alphabet):
                        if not test(base[:i] + ch + base[i:], cost):
                            return hits
        if hits:
            return hits
    return hits


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (how many characters OCR got wrong)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def repair_wallet(token: str) -> tuple[str, WalletCheck, int] | None:
    """The one address within a few OCR confusions of `token`: (kind, check, changes) or None."""
    token = token.strip(".,;:-_'\"“”`")
    for spec in REPAIR_SPECS:
        if not spec.prefix.match(token):
            continue
        hits = _search(spec, token)
        if not hits:
            continue
        best = min(c for _, c in hits.values())
        top = [(r, c) for r, c in hits.values() if c == best]
        if len(top) == 1:
            res = top[0][0]
            return spec.kind, res, edit_distance(re.sub(r"\s", "", token), res.value)
    return None


def repair_card(chunk: str) -> tuple[str, str, int] | None:
    """A card number read from an OCR'd digit run: letters mapped to digits, stray dots and
    commas inside groups dropped ("667.3" → "6673"); Luhn and the issuer table must pass."""
    if re.search(r"[.,'](?![0-9A-Za-z])|(?<![0-9A-Za-z])[.,']", chunk):
        return None  # punctuation between groups ends the number; only a mark inside a group is stray
    compact = re.sub(r"[ \-·•]", "", chunk)
    stray = len(re.findall(r"[.,']", compact))
    compact = re.sub(r"[.,']", "", compact)
    if not 13 <= len(compact) <= 19 or stray > 2:
        return None
    fixed = "".join(_DIGIT_FIX.get(c, c) for c in compact)
    if not fixed.isdigit():
        return None
    changes = sum(a != b for a, b in zip(compact, fixed, strict=True))
    if changes > 4:
        return None  # (an exact run is kept too: OCR often loses the grouping text rules need)
    brand = card_ok(fixed)
    return (fixed, brand, changes + stray) if brand else None


def repair(text: str, already: set[str]) -> list[Found]:
    """Requisites recovered from OCR confusions in `text`, skipping values in `already`.

    Tokens are also tried joined with the next few, across up to two line breaks (OCR splits
    long addresses and apps wrap them).
    """
    out: list[Found] = []
    tokens = [(m.group(0), m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    i = 0
    while i < len(tokens):
        got = None
        for j in range(i, min(i + 4, len(tokens))):
            if text.count("\n", tokens[i][1], tokens[j][1]) > 2:
                break  # an address wraps over at most three lines
            parts = [t for t, _, _ in tokens[i : j + 1]]
            joins = ["".join(parts)]
            if j == i + 1:  # OCR reads a "_" or "-" of a TON address as a gap
                joins += ["_".join(parts), "-".join(parts)]
            for joined in joins:
                if len(joined) >= 15 and (got := repair_wallet(joined)):
                    break
            if got:
                break
        if got is None:
            i += 1
            continue
        kind, res, k = got
        s0, e0 = tokens[i][1], tokens[j][2]
        i = j + 1
        if res.value in already:
            continue
        already.add(res.value)
        found = Found(kind=kind, value=res.value, start=s0, end=e0, method="ocr_repair",
                      checksum=res.checksum, confidence=max(0.5, 0.92 - 0.08 * k),
                      raw=text[s0:e0], flags=[f"ocr_changes:{k}", *res.flags])
        if kind == "iban":
            found.country = res.value[:2]
            if found.country == "KZ":
                found.bank = KZ_BANK_CODES.get(res.value[4:7])
        else:
            found.network, found.address_type = res.network, res.address_type or None
        out.append(found)
    for m in _CARDISH_RE.finditer(text):
        got_card = repair_card(m.group(0))
        if got_card is None:
            continue
        number, brand, k = got_card
        if number in already:
            continue
        already.add(number)
        out.append(Found(kind="card", value=number, start=m.start(), end=m.end(), method="ocr_repair",
                         checksum="luhn", confidence=max(0.5, 0.9 - 0.1 * k), raw=m.group(0),
                         brand=brand, flags=[f"ocr_changes:{k}"]))
    return out


_URI_CURRENCY = {"bitcoin": "BTC", "litecoin": "LTC", "ethereum": "ETH", "tron": "TRX",
                 "monero": "XMR", "ton": "TON"}
_URI_AMOUNT_RE = re.compile(r"[?&](?:amount|tx_amount)=([0-9]+(?:\.[0-9]+)?)")


def _uri_amount(payload: str, found: Found) -> None:
    """Amount stated in a payment URI (BIP-21 `bitcoin:ADDR?amount=…`, `ton://transfer/…`)."""
    scheme = payload.split(":", 1)[0].lower()
    cur = _URI_CURRENCY.get(scheme)
    m = _URI_AMOUNT_RE.search(payload)
    if cur and m:
        value = float(m.group(1))
        if scheme == "ton" and "." not in m.group(1):
            value /= 1e9  # ton:// amounts are in nanotons
        found.amount, found.currency = value, cur


def extract_image(data: bytes, *, ocr: bool = True, qr: bool = True, engine: str = "both") -> ImageResult:
    """Requisites in an image: QR payloads, then OCR text with checksum-guided repair.

    `engine`: "tesseract" (two passes: rus+kaz+eng for the message, eng alone for the Latin
    requisites), "rapidocr" (one pass, Latin and digits) or "both" (the default: every value
    either reads, each passing its validator; bench/extract.py --ocr-images measures all three).

    Spans index `ImageResult.text`: the OCR passes and QR payloads joined by newlines.
    """
    img = _load(data)
    result = ImageResult()
    chunks: list[tuple[str, str]] = []
    if qr:
        result.qr = decode_qr(img)
        chunks += [("qr", q) for q in result.qr]
    if engine not in OCR_ENGINES:
        raise ValueError(f"unknown OCR engine: {engine} (known: {', '.join(OCR_ENGINES)})")
    if ocr and engine in ("tesseract", "both"):
        for langs in (OCR_LANGS, "eng"):
            chunks.append(("ocr", ocr_text(img, langs)))
    if ocr and engine in ("rapidocr", "both"):
        chunks.append(("ocr", rapid_text(img)))
    seen: set[str] = set()
    offset = 0
    # A payment screenshot names the payment once (often in a line RapidOCR cannot read): a
    # phone that its own lines say nothing about is then a payment phone.
    paying = speaks_of_payment(lower_same_length("\n".join(c for _, c in chunks)))
    for method, chunk in chunks:
        for f in extract(chunk, assume_payment=paying and method == "ocr"):
            if f.value in seen:
                continue
            seen.add(f.value)
            f.start += offset
            f.end += offset
            f.method = method
            if method == "qr" and f.amount is None:
                _uri_amount(chunk, f)
            result.found.append(f)
        if method == "ocr":
            for f in repair(chunk, seen):
                f.start += offset
                f.end += offset
                result.found.append(f)
        offset += len(chunk) + 1
    result.text = "\n".join(c for _, c in chunks)
    return result
