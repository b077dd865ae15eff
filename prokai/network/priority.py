"""Priorities for freeze requests: which requisites to ask the banks to freeze first.

    score = shops × 0.5 ^ (days since last seen / HALF_LIFE_DAYS)

A card that five shops hand out matters more than one that one shop does; one seen yesterday
more than one last seen two months ago (the half-life is 30 days). Ties go to the larger sum
of amounts asked, then to more sightings. "Now" is the latest sighting in the store, so the
order depends on the evidence only, not on when the list is printed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prokai.review.queries import bank_of, format_amount, is_wallet
from prokai.store.models import Requisite, Sighting

HALF_LIFE_DAYS = 30.0


def priority_score(shops: int, last_seen: datetime | None, now: datetime | None) -> float:
    """The freeze priority of a requisite handed out by `shops` shops, last seen at `last_seen`."""
    if last_seen is None or now is None:
        return float(shops)
    age = max((now - last_seen).total_seconds() / 86400.0, 0.0)
    return shops * 0.5 ** (age / HALF_LIFE_DAYS)


@dataclass
class Priority:
    """One requisite with what ranks it."""

    rank: int
    requisite_id: int
    kind: str
    value: str
    bank: str
    status: str
    shops: int
    sightings: int
    first_seen: datetime
    last_seen: datetime
    max_amount: str
    total_asked: Decimal
    score: float


def priorities(session: Session, status: str | None = None, wallets: bool | None = None,
               requisite_ids: Iterable[int] | None = None, limit: int | None = None) -> list[Priority]:
    """Requisites ranked for freeze requests (best first); `status` None means every status,
    `wallets` True/False keeps only wallets/only bank requisites."""
    query = (
        select(Sighting.requisite_id, func.count(func.distinct(Sighting.shop_id)), func.count(),
               func.min(Sighting.seen_at), func.max(Sighting.seen_at), func.max(Sighting.amount),
               func.sum(Sighting.amount), func.max(Sighting.currency))
        .group_by(Sighting.requisite_id)
    )
    if requisite_ids is not None:
        query = query.where(Sighting.requisite_id.in_(list(requisite_ids)))
    stats = {row[0]: row[1:] for row in session.execute(query)}
    if not stats:
        return []
    rq = select(Requisite).where(Requisite.id.in_(list(stats)))
    if status:
        rq = rq.where(Requisite.status == status)
    reqs = [r for r in session.scalars(rq) if wallets is None or is_wallet(r.kind) == wallets]
    now = session.scalar(select(func.max(Sighting.seen_at)))
    rows = []
    for r in reqs:
        shops, n, first, last, top, total, currency = stats[r.id]
        total_dec = Decimal(total) if total is not None else Decimal(0)
        rows.append(Priority(0, r.id, r.kind, r.value, bank_of(r), r.status, int(shops), int(n), first, last,
                             format_amount(Decimal(top), currency) if top is not None else "", total_dec,
                             priority_score(int(shops), last, now)))
    rows.sort(key=lambda p: (-p.score, -p.total_asked, -p.sightings, p.requisite_id))
    for i, p in enumerate(rows, start=1):
        p.rank = i
    return rows[:limit] if limit else rows


def ranks(session: Session, requisite_ids: Iterable[int]) -> dict[int, int]:
    """The priority rank of each requisite among `requisite_ids` (1 = freeze first)."""
    return {p.requisite_id: p.rank for p in priorities(session, requisite_ids=list(requisite_ids))}
