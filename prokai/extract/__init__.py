"""Requisite extraction: cards, IBANs, payment phones and crypto wallets, through obfuscation
and images, each result validated by its checksum and carrying its evidence.

Public API::

    from prokai.extract import extract, extract_window, extract_image, Found

    extract("Kaspi Gold 4400 4301 2345 6789, 25 000 ₸")       # -> list[Found]
    extract_window(["карта 4400 4301", "2345 6789"])           # split across messages
    extract_image(png_bytes)                                   # OCR + QR, checksum-repaired

`Found` has kind, value, start, end, method, checksum, confidence, raw, context, brand (card
scheme: visa, mastercard, mir, …), bank (issuing bank; also `.issuer`), country, network (crypto:
main/test), address_type, amount, currency, flags and, for windows, message/parts;
`Found.to_dict()` gives the JSON the CLI prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prokai.extract.engine import extract, extract_window
from prokai.extract.types import KINDS, Found

# Loaded here, before `validate` is defined below: a submodule loaded later would set the
# package's `validate` attribute to the module, shadowing the function.
from prokai.extract.validate import is_valid

if TYPE_CHECKING:  # pragma: no cover
    from prokai.extract.images import ImageResult


def extract_image(data: bytes, *, ocr: bool = True, qr: bool = True, engine: str = "both") -> ImageResult:
    """Requisites in an image (PNG/JPEG bytes): QR codes and OCR (`engine`: "both" (default),
    "tesseract" rus+kaz+eng or "rapidocr"), checksum-repaired.

    Spans of the results index `ImageResult.text` (the QR payloads, then the OCR text).
    Slow (OCR); the text path never imports it.
    """
    from prokai.extract.images import extract_image as _impl

    return _impl(data, ocr=ocr, qr=qr, engine=engine)


def validate(kind: str, value: str) -> bool:
    """True when `value` is a valid requisite of `kind` (the same validators the extractor uses)."""
    return is_valid(kind, value)


__all__ = ["KINDS", "Found", "extract", "extract_image", "extract_window", "validate"]
