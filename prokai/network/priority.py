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
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prokai.readmodels.queries import bank_of, format_amount, is_wallet
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


class BankNames:
    """`bank_of` for rows read as plain columns: one stand-in `Requisite` per distinct bank/chain."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Any, ...], str] = {}

    def __call__(self, kind: str, issuer: str | None, network: str | None, meta: dict[str, Any] | None) -> str:
        key = (kind, network, (meta or {}).get("bank"), issuer)
        if key not in self._cache:
            self._cache[key] = bank_of(Requisite(kind=kind, value="", issuer=issuer, network=network, meta=meta))
        return self._cache[key]


def priorities(session: Session, status: str | None = None, wallets: bool | None = None,
               requisite_ids: Iterable[int] | None = None, limit: int | None = None,
               shop_ids: Iterable[int] | None = None) -> list[Priority]:
    """Requisites ranked for freeze requests (best first); `status` None means every status,
    `wallets` True/False keeps only wallets/only bank requisites, `shop_ids` only what those
    shops handed out (counted over every shop)."""
    agg = (
        select(Sighting.requisite_id.label("rid"), func.count(func.distinct(Sighting.shop_id)).label("shops"),
               func.count().label("n"), func.min(Sighting.seen_at).label("first"),
               func.max(Sighting.seen_at).label("last"), func.max(Sighting.amount).label("top"),
               func.sum(Sighting.amount).label("total"), func.max(Sighting.currency).label("currency"))
        .group_by(Sighting.requisite_id)
    )
    if requisite_ids is not None:
        agg = agg.where(Sighting.requisite_id.in_(list(requisite_ids)))
    if shop_ids is not None:
        agg = agg.where(Sighting.requisite_id.in_(
            select(Sighting.requisite_id).where(Sighting.shop_id.in_(list(shop_ids))).scalar_subquery()))
    sub = agg.subquery()
    query = select(Requisite.id, Requisite.kind, Requisite.value, Requisite.status, Requisite.issuer,
                   Requisite.network, Requisite.meta, sub.c.shops, sub.c.n, sub.c.first, sub.c.last, sub.c.top,
                   sub.c.total, sub.c.currency).join(sub, sub.c.rid == Requisite.id)
    if status:
        query = query.where(Requisite.status == status)
    now = session.scalar(select(func.max(Sighting.seen_at)))
    banks = BankNames()
    rows = []
    for rid, kind, value, st, issuer, network, meta, shops, n, first, last, top, total, currency in session.execute(query):
        if wallets is not None and is_wallet(kind) != wallets:
            continue
        # Aggregates of typed columns come back untyped on SQLite: parse them like the columns.
        first, last = _when(first), _when(last)
        total_dec = Decimal(str(total)) if total is not None else Decimal(0)
        rows.append(Priority(0, rid, kind, value, banks(kind, issuer, network, meta), st, int(shops), int(n), first,
                             last, format_amount(Decimal(str(top)), currency) if top is not None else "", total_dec,
                             priority_score(int(shops), last, now)))
    rows.sort(key=lambda p: (-p.score, -p.total_asked, -p.sightings, p.requisite_id))
    for i, p in enumerate(rows, start=1):
        p.rank = i
    return rows[:limit] if limit else rows


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def ranks(session: Session, requisite_ids: Iterable[int]) -> dict[int, int]:
    """The priority rank of each requisite among `requisite_ids` (1 = freeze first)."""
    return {p.requisite_id: p.rank for p in priorities(session, requisite_ids=list(requisite_ids))}
