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

from prokai.extract.cards import card_ok
from prokai.extract.engine import extract
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
MAX_VARIANTS = 5000

# What OCR reads in place of what: each character → the characters it may really be.
CONFUSIONS: dict[str, str] = {
    "O": "0o", "0": "Oo", "o": "0O", "Q": "0O", "D": "0",
    "l": "1I", "I": "1l", "1": "lI", "|": "1lI", "i": "1l", "!": "1",
    "B": "8", "8": "B", "S": "5s", "5": "S", "s": "5", "Z": "2", "2": "Z", "z": "2",
    "G": "6", "6": "Gb", "b": "6", "g": "9q", "q": "9g", "9": "gq", "T": "7", "7": "T",
    "З": "3", "з": "3", "3": "З", "А": "A", "В": "B8", "С": "C", "Е": "E", "К": "K", "М": "M",
    "Н": "H", "О": "O0", "Р": "P", "Т": "T", "Х": "X", "а": "a", "е": "e", "о": "o0", "р": "p",
    "с": "c", "у": "y", "х": "x", "б": "6", "ч": "4", "Ч": "4",
    "c": "C", "C": "c", "v": "V", "V": "v", "w": "W", "W": "w", "x": "X", "X": "x", "u": "U",
    "U": "u", "k": "K", "K": "k", "p": "P", "P": "p", "y": "Y", "Y": "y",
}
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
    gray = ImageOps.grayscale(img)
    if gray.height < 600:
        scale = max(2, 600 // max(1, gray.height))
        scale = min(scale, 4)
        gray = gray.resize((gray.width * scale, gray.height * scale), Image.Resampling.LANCZOS)
    gray = gray.filter(ImageFilter.MedianFilter(3))
    return ImageOps.autocontrast(gray)


def ocr_text(img: Image.Image, langs: str = OCR_LANGS) -> str:
    """Tesseract OCR of the image (upscaled, denoised)."""
    import pytesseract

    return str(pytesseract.image_to_string(_prepare(img), lang=langs, config="--psm 6"))


# ---------------------------------------------------------------- checksum-guided repair

_WALLET_CHECKS: list[tuple[str, re.Pattern[str], Callable[[str], WalletCheck | None]]] = [
    ("btc", re.compile(r"^(?:bc1|[13])", re.I), check_btc),
    ("ltc", re.compile(r"^(?:ltc1|[LM])", re.I), check_ltc),
    ("trx", re.compile(r"^T"), check_trx),
    ("eth", re.compile(r"^0[xX]"), check_eth),
    ("xmr", re.compile(r"^[48]"), lambda s: check_xmr(s, mainnet_only=True)),
    ("ton", re.compile(r"^[EUk0][Qf]"), check_ton),
]
_TOKEN_RE = re.compile(r"[^\s,;:()\[\]{}<>\"'«»]{20,110}")
_CARDISH_RE = re.compile(r"[0-9A-Za-zЗзбчЧОоВ|!](?:[0-9A-Za-zЗзбчЧОоВ|! \-]){14,26}[0-9A-Za-zЗзбчЧОоВ|!]")


def _variants(token: str, alphabet: Callable[[str], str], max_changes: int) -> Iterator[tuple[str, int]]:
    """Variants of `token` changing up to `max_changes` confusable characters, fewest first."""
    positions = [i for i, c in enumerate(token) if alphabet(c)]
    produced = 0
    for k in range(0, max_changes + 1):
        for combo in itertools.combinations(positions, k):
            options = [alphabet(token[i]) for i in combo]
            for repl in itertools.product(*options):
                chars = list(token)
                for i, r in zip(combo, repl, strict=True):
                    chars[i] = r
                produced += 1
                if produced > MAX_VARIANTS:
                    return
                yield "".join(chars), k


def repair_wallet(token: str, max_changes: int = 3) -> tuple[str, WalletCheck, int] | None:
    """The unique address (kind, check, changes) within `max_changes` OCR confusions of `token`."""
    token = token.strip(".-_")
    for kind, prefix, check in _WALLET_CHECKS:
        if not prefix.match(token):
            continue
        hits: dict[str, tuple[WalletCheck, int]] = {}
        best_k = None
        for variant, k in _variants(token, lambda c: CONFUSIONS.get(c, ""), max_changes):
            if best_k is not None and k > best_k:
                break
            res = check(variant)
            if res is not None:
                hits[res.value] = (res, k)
                best_k = k
        if len(hits) == 1:
            res, k = next(iter(hits.values()))
            return kind, res, k
    return None


def repair_card(chunk: str) -> tuple[str, str, int] | None:
    """A card number read from an OCR'd digit run: letters mapped to digits, Luhn must pass."""
    compact = re.sub(r"[ \-]", "", chunk)
    if not 13 <= len(compact) <= 19:
        return None
    fixed = "".join(_DIGIT_FIX.get(c, c) for c in compact)
    if not fixed.isdigit():
        return None
    changes = sum(a != b for a, b in zip(compact, fixed, strict=True))
    if changes == 0 or changes > 4:
        return None
    brand = card_ok(fixed)
    return (fixed, brand, changes) if brand else None


def repair(text: str, already: set[str]) -> list[Found]:
    """Requisites recovered from OCR confusions in `text`, skipping values in `already`."""
    out: list[Found] = []
    for m in _TOKEN_RE.finditer(text):
        token = m.group(0)
        got = repair_wallet(token)
        if got is None:
            continue
        kind, res, k = got
        if res.value in already or k == 0:
            continue
        already.add(res.value)
        out.append(Found(kind=kind, value=res.value, start=m.start(), end=m.end(), method="ocr_repair",
                         checksum=res.checksum, confidence=max(0.5, 0.9 - 0.1 * k), raw=token,
                         network=res.network, address_type=res.address_type or None,
                         flags=[f"ocr_changes:{k}", *res.flags]))
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


def extract_image(data: bytes, *, ocr: bool = True, qr: bool = True) -> ImageResult:
    """Requisites in an image: QR payloads first, then OCR text with checksum-guided repair."""
    img = _load(data)
    result = ImageResult()
    seen: set[str] = set()
    parts: list[str] = []
    if ocr:
        result.text = ocr_text(img)
        parts.append(result.text)
    if qr:
        result.qr = decode_qr(img)
    offset = 0
    for idx, chunk in enumerate([result.text] + result.qr if ocr else result.qr):
        is_qr = not ocr or idx > 0
        for f in extract(chunk):
            if f.value in seen:
                continue
            seen.add(f.value)
            f.start += offset
            f.end += offset
            f.method = "qr" if is_qr else "ocr"
            out_flags = f.flags
            if is_qr and not f.checksum:
                out_flags.append("qr")
            result.found.append(f)
        if not is_qr:
            for f in repair(chunk, seen):
                f.start += offset
                f.end += offset
                result.found.append(f)
        offset += len(chunk) + 1
    result.text = "\n".join([result.text] + result.qr if ocr else result.qr)
    return result
