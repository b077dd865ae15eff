"""Shops at intake: one identity (the Telegram id), one username history, one way to find a shop
by name, whichever source saw it.

A username is compared case-insensitively and exactly (never as a LIKE pattern: `_` is a
username character, not a wildcard); a shop renamed since is still found by its old names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from prokai.store.models import Shop, ShopKind, ShopStatus, ShopUsername
from prokai.store.types import utcnow


@dataclass(frozen=True)
class PeerInfo:
    """The Telegram peer a conversation is with, as the source saw it."""

    telegram_id: int
    kind: str  # a ShopKind value
    username: str | None = None
    title: str | None = None
    description: str | None = None


def norm_username(username: str | None) -> str | None:
    """A username as stored: without @, lower case (Telegram compares them so); None if empty."""
    name = (username or "").strip().lstrip("@").lower()
    return name or None


def find_shop_by_username(session: Session, username: str, *, unbound_only: bool = False) -> Shop | None:
    """The shop that has (or had) `username`; with `unbound_only`, only a shop whose Telegram id is
    not known yet (one named in a link, waiting to be resolved)."""
    name = norm_username(username)
    if name is None:
        return None
    by_history = select(ShopUsername.shop_id).where(ShopUsername.username == name)
    query = select(Shop).where(or_(func.lower(Shop.username) == name, Shop.id.in_(by_history)))
    if unbound_only:
        query = query.where(Shop.telegram_id.is_(None))
    # The current name wins over a former one.
    shops = list(session.scalars(query.order_by(Shop.id)))
    current = [s for s in shops if (s.username or "").lower() == name]
    best = current or shops
    return best[0] if best else None


def record_username(session: Session, shop: Shop, username: str) -> None:
    """Add `username` to the shop's history, or note it was seen again."""
    row = session.scalar(select(ShopUsername).where(ShopUsername.shop_id == shop.id, ShopUsername.username == username))
    if row is None:
        session.add(ShopUsername(shop_id=shop.id, username=username))
    else:
        row.last_seen = utcnow()


def upsert_shop(session: Session, peer: PeerInfo, *, status: str | None = None) -> Shop:
    """The shop for `peer`: found by Telegram id, else a shop named in a link that had this
    username and no id yet, else created (with `status` when given). A new username is a rename:
    the status says so and the history keeps both names."""
    username = norm_username(peer.username)
    shop = session.scalar(select(Shop).where(Shop.telegram_id == peer.telegram_id))
    if shop is None and username:
        shop = find_shop_by_username(session, username, unbound_only=True)
    if shop is None:
        shop = Shop(telegram_id=peer.telegram_id, kind=peer.kind, meta={},
                    **({"status": status} if status else {}))
        session.add(shop)
    elif username and shop.username and username != shop.username.lower() and shop.telegram_id is not None:
        shop.status = ShopStatus.RENAMED.value
    shop.telegram_id = peer.telegram_id
    shop.kind = peer.kind
    shop.username = username or shop.username
    shop.title = peer.title or shop.title
    shop.description = peer.description or shop.description
    shop.last_seen = utcnow()
    session.flush()
    if username:
        record_username(session, shop, username)
    return shop


def link_shop(session: Session, username: str, named_by: Any) -> Shop | None:
    """A shop named by another (an @username or t.me link in its messages): a Shop to resolve and
    crawl later. None when a shop of that name (now or before) is already known."""
    name = norm_username(username)
    if name is None or find_shop_by_username(session, name) is not None:
        return None
    kind = ShopKind.BOT.value if name.endswith("bot") else ShopKind.UNKNOWN.value
    shop = Shop(username=name, kind=kind, status=ShopStatus.UNKNOWN.value, meta={"source": "link", "named_by": named_by})
    session.add(shop)
    session.flush()
    record_username(session, shop, name)
    return shop
