"""The result type every recognizer returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from prokai.extract.kinds import KIND_NAMES as KINDS  # the kinds table is the source

__all__ = ["KINDS", "Found"]


@dataclass
class Found:
    """One requisite found in a text, with the evidence for it.

    `start`/`end` index the input text (for `extract_window`, the joined window; `message` then
    says which message it starts in and `parts` lists (message, start, end) per message touched).
    `method` says how it was read: pattern, normalized (separators, lookalikes, fullwidth),
    words (digits written as words), window (split across messages), ocr, qr, ocr_repair.
    """

    kind: str
    value: str
    start: int
    end: int
    method: str = "pattern"
    checksum: str = "none"
    confidence: float = 0.9
    raw: str = ""
    context: list[str] = field(default_factory=list)
    brand: str | None = None
    bank: str | None = None
    country: str | None = None
    network: str | None = None
    address_type: str | None = None
    amount: float | None = None
    currency: str | None = None
    flags: list[str] = field(default_factory=list)
    message: int | None = None
    parts: list[tuple[int, int, int]] | None = None

    @property
    def issuer(self) -> str | None:
        """The issuing bank (same as `bank`; `brand` is the card scheme: visa, mir, …)."""
        return self.bank

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; fields that are unknown (None or empty) are left out."""
        out: dict[str, Any] = {}
        for key, val in asdict(self).items():
            if val is None or val == [] or val == "":
                continue
            out[key] = val
        out["confidence"] = round(self.confidence, 3)
        return out
