"""Run the registered recognizers over a text or a window of messages and add context."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from prokai.extract import context
from prokai.extract.kinds import BANK_KINDS, KIND_TABLE
from prokai.extract.recognizers import REGISTRY, Doc
from prokai.extract.types import Found

# Which kind wins when two results overlap (higher first): the table's `overlap_rank`.
_PRIORITY = {k.name: k.overlap_rank for k in KIND_TABLE}
AMOUNT_REACH = 120  # characters between a requisite and the amount stated for it
WINDOW_JOINER = "\n"
# Long texts are read in windows of SEGMENT characters, each with OVERLAP characters of context
# on both sides (longer than any requisite plus the context rules' reach), so time is linear in
# the input and memory bounded by the window, whatever the line length.
SEGMENT = 4096
OVERLAP = 512


def _resolve(found: list[Found]) -> list[Found]:
    """Drop duplicates and results overlapping a stronger one."""
    found.sort(key=lambda f: (-_PRIORITY.get(f.kind, 5), -f.confidence, -(f.end - f.start), f.start))
    starts: list[int] = []  # kept spans, disjoint and sorted by start
    kept: list[Found] = []
    for f in found:
        i = bisect.bisect_right(starts, f.start)
        if (i and kept[i - 1].end > f.start) or (i < len(kept) and kept[i].start < f.end):
            continue
        starts.insert(i, f.start)
        kept.insert(i, f)
    return kept


def _add_context(doc: Doc, found: list[Found]) -> None:
    if not found:
        return
    amounts = doc.amounts
    mentioned = context.banks(doc.lower) if any(f.kind in BANK_KINDS for f in found) else []
    for f in found:
        a = context.nearest_amount(amounts, f.start, f.end)
        if a is not None and min(abs(a.start - f.end), abs(f.start - a.end)) <= AMOUNT_REACH:
            f.amount, f.currency = a.value, a.currency
        if f.kind in BANK_KINDS and mentioned:
            near = min(mentioned, key=lambda bp: abs(bp[1] - f.start))
            if f.bank is None and abs(near[1] - f.start) <= AMOUNT_REACH:
                f.bank = near[0]
            elif f.bank and near[0] != f.bank and abs(near[1] - f.start) <= AMOUNT_REACH:
                f.flags.append(f"bank_mentioned:{near[0]}")


def extract(text: str, *, assume_payment: bool = False) -> list[Found]:
    """All requisites in one message, sorted by position; spans index `text`.

    `assume_payment`: a phone whose sentences say nothing either way counts as a payment phone
    (the image path sets it when the image's text speaks of payment)."""
    if not text:
        return []
    if len(text) > SEGMENT + 2 * OVERLAP:
        return _extract_long(text, assume_payment)
    return _extract_one(text, assume_payment)


def _extract_long(text: str, assume_payment: bool = False) -> list[Found]:
    """`extract` over windows: a requisite belongs to the window its start falls in."""
    out: list[Found] = []
    for base in range(0, len(text), SEGMENT):
        lo = max(0, base - OVERLAP)
        for f in _extract_one(text[lo : base + SEGMENT + OVERLAP], assume_payment):
            if base <= f.start + lo < base + SEGMENT:
                f.start += lo
                f.end += lo
                out.append(f)
    return out


def _extract_one(text: str, assume_payment: bool = False) -> list[Found]:
    doc = Doc(text, assume_payment)
    found: list[Found] = []
    if not doc.digits and doc.latin < 14:
        return []
    for rec in REGISTRY:
        if rec.applies(doc):
            found.extend(rec.find(doc))
    kept = _resolve(found)
    if kept and context.has_warning(doc.lower):
        kept = [f for f in kept if f.kind == "phone" or not context.warned(doc.lower, f.start, f.end)]
    _add_context(doc, kept)
    return kept


def extract_window(messages: Sequence[str]) -> list[Found]:
    """Requisites in consecutive messages of one conversation, including ones split across them.

    The messages are joined with a newline; each result's `start`/`end` index that joined text,
    `message` is the index of the message it starts in and `parts` lists (message, start, end)
    with offsets inside each message it touches. A result that spans messages has method
    "window". Results lying inside one message are returned too; a caller that already ran
    `extract` on each message keeps only those with `len(parts) > 1`.
    """
    offsets = []
    pos = 0
    for m in messages:
        offsets.append(pos)
        pos += len(m) + len(WINDOW_JOINER)
    joined = WINDOW_JOINER.join(messages)
    found = extract(joined)
    for f in found:
        parts = []
        for i, (off, msg) in enumerate(zip(offsets, messages, strict=True)):
            lo, hi = max(f.start, off), min(f.end, off + len(msg))
            if lo < hi:
                parts.append((i, lo - off, hi - off))
        f.parts = parts
        f.message = parts[0][0] if parts else None
        if len(parts) > 1:
            f.method = "window"
            f.confidence = round(f.confidence - 0.05, 3)
    return found
