"""Requisites and their sightings: one row per (kind, value), one sighting per message that shows it.

Used by every path that finds requisites in stored messages (the crawler, the archive of seized
accounts). Safe against concurrent writers and re-runs: the requisite is upserted on its unique
(kind, value), the sighting on its unique (requisite, message).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prokai.store.models import Message, Requisite, Sighting
from prokai.store.types import utcnow


class FoundLike(Protocol):
    """What an extractor result must offer (prokai.extract.Found does)."""

    kind: str
    value: str
    start: int
    end: int
    method: str
    confidence: float
    bank: str | None
    country: str | None
    network: str | None
    brand: str | None
    amount: float | None
    currency: str | None

    def to_dict(self) -> dict[str, Any]: ...


@dataclass
class SightingResult:
    requisite: Requisite
    sighting: Sighting
    new_requisite: bool
    new_sighting: bool


def upsert_requisite(session: Session, found: FoundLike, source: str = "crawl") -> tuple[Requisite, bool]:
    """The requisite row for `found` (created if new, noting where it was first found);
    True when it was created now."""
    existing = session.scalar(select(Requisite).where(Requisite.kind == found.kind, Requisite.value == found.value))
    if existing is not None:
        existing.last_seen = utcnow()
        return existing, False
    req = Requisite(
        kind=found.kind,
        value=found.value,
        issuer=found.bank,
        country=found.country,
        network=found.network or found.brand,
        meta={"source": source, **({"brand": found.brand} if found.brand else {})},
    )
    try:
        with session.begin_nested():
            session.add(req)
    except IntegrityError:  # another writer created it meanwhile
        again = session.scalar(select(Requisite).where(Requisite.kind == found.kind, Requisite.value == found.value))
        assert again is not None
        return again, False
    return req, True


def add_sighting(
    session: Session,
    requisite: Requisite,
    message_id: int,
    conversation_id: int | None,
    found: FoundLike,
    shop_id: int | None,
    method: str | None = None,
    seen_at: datetime | None = None,
    details: dict[str, Any] | None = None,
) -> tuple[Sighting, bool]:
    """The sighting of `requisite` in message `message_id` (created if new); True when created.

    Spans index the message; a requisite read across several messages (`found.parts`) has none.
    """
    sighting = session.scalar(
        select(Sighting).where(Sighting.requisite_id == requisite.id, Sighting.message_id == message_id)
    )
    if sighting is not None:
        return sighting, False
    whole = getattr(found, "parts", None) is None
    sighting = Sighting(
        requisite_id=requisite.id,
        message_id=message_id,
        shop_id=shop_id,
        conversation_id=conversation_id,
        seen_at=seen_at or utcnow(),
        amount=None if found.amount is None else Decimal(str(found.amount)),
        currency=found.currency,
        method=method or found.method,
        span_start=found.start if whole else None,
        span_end=found.end if whole else None,
        details={"confidence": round(found.confidence, 3), "extract_method": found.method, **(details or {})},
    )
    session.add(sighting)
    session.flush()
    return sighting, True


def record_sightings(
    session: Session,
    message: Message,
    founds: Iterable[FoundLike],
    shop_id: int | None,
    method: str | None = None,
) -> list[SightingResult]:
    """Requisites and sightings for everything found in the stored `message` (idempotent)."""
    session.flush()
    out: list[SightingResult] = []
    for found in founds:
        req, new_req = upsert_requisite(session, found)
        session.flush()
        sighting, new_sighting = add_sighting(session, req, message.id, message.conversation_id, found, shop_id, method)
        out.append(SightingResult(req, sighting, new_req, new_sighting))
    return out
