"""Read-only views of the evidence store for the admin bot and the exports.

Everything here takes an open SQLAlchemy session and returns plain dataclasses, so handlers stay
small and the same views serve the bot, the exports and the tests.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from prokai.extract.kinds import BANK_KINDS  # the one table of requisite kinds
from prokai.store.chain import record_hash
from prokai.store.models import (
    Campaign,
    Case,
    ChainEntry,
    Conversation,
    Message,
    Requisite,
    Shop,
    ShopUsername,
    Sighting,
    Target,
)

UNKNOWN_BANK = "unknown"


def is_wallet(kind: str) -> bool:
    """Crypto wallets are every kind that is not a card, IBAN or phone."""
    return kind not in BANK_KINDS


def bank_of(req: Requisite) -> str:
    """The bank (cards, IBANs, phones) or chain (wallets) a requisite belongs to.

    Cards: `meta["bank"]` (the extractor's canonical bank name), else `issuer`. Wallets: the
    chain, i.e. the kind in upper case, with the token network if one was named (`TRX/TRC20`).
    """
    if is_wallet(req.kind):
        chain = req.kind.upper()
        return f"{chain}/{req.network}" if req.network and req.network.upper() != chain else chain
    bank = (req.meta or {}).get("bank") or req.issuer
    return str(bank) if bank else UNKNOWN_BANK


def shop_label(shop: Shop | None) -> str:
    """`@username`, else the title, else `shop #id`."""
    if shop is None:
        return "—"
    if shop.username:
        return f"@{shop.username}"
    return shop.title or f"shop #{shop.id}"


def format_amount(amount: Decimal | None, currency: str | None) -> str:
    """`25 000 KZT`, or an em dash when unknown."""
    if amount is None:
        return "—"
    whole = amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount.normalize()
    text = f"{whole:,}".replace(",", " ")
    return f"{text} {currency}" if currency else text


@dataclass
class RequisiteCard:
    """What a notification shows about one requisite, from its latest sighting."""

    id: int
    kind: str
    value: str
    bank: str
    status: str
    shop: str
    shop_id: int | None
    when: datetime
    amount: str
    conversation_id: int | None
    message_id: int | None
    excerpt: list[tuple[str, str]] = field(default_factory=list)  # (direction, text)


def latest_sighting(session: Session, requisite_id: int) -> Sighting | None:
    """The most recent sighting of a requisite."""
    return session.scalars(
        select(Sighting)
        .where(Sighting.requisite_id == requisite_id)
        .order_by(Sighting.seen_at.desc(), Sighting.id.desc())
        .limit(1)
    ).first()


def excerpt(session: Session, conversation_id: int, upto_message_id: int | None, limit: int = 4) -> list[tuple[str, str]]:
    """The last `limit` messages of a conversation up to (and including) one message."""
    query = select(Message).where(Message.conversation_id == conversation_id)
    if upto_message_id is not None:
        query = query.where(Message.id <= upto_message_id)
    rows = list(session.scalars(query.order_by(Message.id.desc()).limit(limit)))
    return [(m.direction, m.text) for m in reversed(rows)]


def requisite_card(session: Session, requisite_id: int) -> RequisiteCard | None:
    """The notification view of one requisite, or None if it does not exist."""
    req = session.get(Requisite, requisite_id)
    if req is None:
        return None
    sighting = latest_sighting(session, req.id)
    shop = session.get(Shop, sighting.shop_id) if sighting and sighting.shop_id else None
    conv_id = sighting.conversation_id if sighting else None
    msg_id = sighting.message_id if sighting else None
    if sighting and conv_id is None and msg_id is not None:
        msg = session.get(Message, msg_id)
        conv_id = msg.conversation_id if msg else None
    return RequisiteCard(
        id=req.id,
        kind=req.kind,
        value=req.value,
        bank=bank_of(req),
        status=req.status,
        shop=shop_label(shop),
        shop_id=shop.id if shop else None,
        when=sighting.seen_at if sighting else req.first_seen,
        amount=format_amount(sighting.amount, sighting.currency) if sighting else "—",
        conversation_id=conv_id,
        message_id=msg_id,
        excerpt=excerpt(session, conv_id, msg_id) if conv_id is not None else [],
    )


def pending_page(session: Session, page: int, per_page: int) -> tuple[list[Requisite], int]:
    """One page (0-based) of pending requisites, oldest first, and the total count."""
    total = session.scalar(select(func.count()).select_from(Requisite).where(Requisite.status == "pending")) or 0
    rows = list(
        session.scalars(
            select(Requisite)
            .where(Requisite.status == "pending")
            .order_by(Requisite.first_seen, Requisite.id)
            .offset(page * per_page)
            .limit(per_page)
        )
    )
    return rows, int(total)


def normalize_query(query: str) -> list[str]:
    """Candidate stored values for what a reviewer typed (card digits, IBAN, E.164, wallet)."""
    raw = query.strip()
    compact = re.sub(r"[\s\-()]", "", raw)
    out = [raw, compact, compact.upper()]
    digits = re.sub(r"\D", "", raw)
    if digits:
        out.append(digits)
        if len(digits) == 11 and digits[0] == "8":
            out.append("+7" + digits[1:])
        out.append("+" + digits)
    return list(dict.fromkeys(v for v in out if v))


def find_shops(session: Session, name: str) -> list[Shop]:
    """Shops whose current or past username is `name` (with or without @, any case)."""
    uname = name.strip().lstrip("@").lower()
    if not uname:
        return []
    by_history = select(ShopUsername.shop_id).where(func.lower(ShopUsername.username) == uname)
    return list(
        session.scalars(
            select(Shop).where(or_(func.lower(Shop.username) == uname, Shop.id.in_(by_history))).order_by(Shop.id)
        )
    )


def search(session: Session, query: str, limit: int = 20) -> list[Requisite]:
    """Requisites matching a card, IBAN, phone or wallet (exact, normalized), or sighted at `@shop`."""
    query = query.strip()
    if query.startswith("@"):
        shop_ids = [s.id for s in find_shops(session, query)]
        if not shop_ids:
            return []
        req_ids = select(Sighting.requisite_id).where(Sighting.shop_id.in_(shop_ids))
        return list(session.scalars(select(Requisite).where(Requisite.id.in_(req_ids)).order_by(Requisite.id).limit(limit)))
    candidates = normalize_query(query)
    lowered = [c.lower() for c in candidates]
    exact = list(
        session.scalars(
            select(Requisite)
            .where(or_(Requisite.value.in_(candidates), func.lower(Requisite.value).in_(lowered)))
            .order_by(Requisite.id)
            .limit(limit)
        )
    )
    if exact:
        return exact
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 4 and len(digits) == len(re.sub(r"[\s\-]", "", query)):
        # A partial number: the last digits of a card, IBAN or phone.
        return list(
            session.scalars(
                select(Requisite).where(Requisite.value.like(f"%{digits}")).order_by(Requisite.id).limit(limit)
            )
        )
    return []


@dataclass
class ShopRequisite:
    """One requisite a shop handed out: when first and last, how often."""

    requisite: Requisite
    first_seen: datetime
    last_seen: datetime
    sightings: int


def shop_history(session: Session, shop: Shop) -> list[ShopRequisite]:
    """The shop's requisites over time, by first sighting."""
    rows = session.execute(
        select(Sighting.requisite_id, func.min(Sighting.seen_at), func.max(Sighting.seen_at), func.count())
        .where(Sighting.shop_id == shop.id)
        .group_by(Sighting.requisite_id)
    ).all()
    reqs = {r.id: r for r in session.scalars(select(Requisite).where(Requisite.id.in_([row[0] for row in rows])))}
    out = [ShopRequisite(reqs[rid], first, last, int(n)) for rid, first, last, n in rows if rid in reqs]
    return sorted(out, key=lambda x: (x.first_seen, x.requisite.id))


@dataclass
class Stats:
    """Counts of requisites by status, day (first seen, local date), bank/network and kind."""

    by_status: Counter[str]
    by_day: Counter[str]
    by_bank: Counter[str]
    by_kind: Counter[str]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def stats(session: Session, timezone: str = "Asia/Almaty") -> Stats:
    """Counts over every requisite (small enough to count in Python at this scale)."""
    tz = ZoneInfo(timezone)
    result = Stats(Counter(), Counter(), Counter(), Counter())
    for req in session.scalars(select(Requisite)):
        result.by_status[req.status] += 1
        result.by_day[req.first_seen.astimezone(tz).date().isoformat()] += 1
        result.by_bank[bank_of(req)] += 1
        result.by_kind[req.kind] += 1
    return result


@dataclass
class CampaignInfo:
    """A campaign with its case and counts."""

    id: int
    name: str
    case: str
    status: str
    targets: int
    requisites: int


def campaigns(session: Session, limit: int = 30) -> list[CampaignInfo]:
    """The latest campaigns, newest first, with target and requisite counts."""
    out = []
    for camp, number in session.execute(
        select(Campaign, Case.number).join(Case, Case.id == Campaign.case_id).order_by(Campaign.id.desc()).limit(limit)
    ).all():
        targets = session.scalar(select(func.count()).select_from(Target).where(Target.campaign_id == camp.id)) or 0
        conv_ids = select(Conversation.id).where(Conversation.campaign_id == camp.id)
        reqs = (
            session.scalar(
                select(func.count(func.distinct(Sighting.requisite_id))).where(Sighting.conversation_id.in_(conv_ids))
            )
            or 0
        )
        out.append(CampaignInfo(camp.id, camp.name, number, camp.status, int(targets), int(reqs)))
    return out


# --- evidence ------------------------------------------------------------------------------------


@dataclass
class Transcript:
    """A stored conversation as a document, with each message's place in the evidence chain."""

    conversation_id: int
    text: str
    messages: int
    first_seq: int | None
    last_seq: int | None
    last_hash: str | None
    intact: bool
    images: list[tuple[int, str, str]] = field(default_factory=list)  # (message id, path, sha256)


def transcript(session: Session, conversation_id: int) -> Transcript | None:
    """The conversation as stored: every message with its chain link, hash and a check of both."""
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        return None
    msgs = list(session.scalars(select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)))
    links = {
        e.record_id: e
        for e in session.scalars(
            select(ChainEntry).where(ChainEntry.record_type == "message", ChainEntry.record_id.in_([m.id for m in msgs]))
        )
    }
    shop = session.get(Shop, conv.shop_id) if conv.shop_id else None
    lines = [
        f"ProkAi evidence transcript: conversation #{conv.id}",
        f"shop: {shop_label(shop)} (telegram id {shop.telegram_id if shop else '—'})",
        f"campaign: {conv.campaign_id or '—'}, account: {conv.account_id or '—'}, peer: {conv.peer_id or '—'}",
        f"started: {conv.started_at.isoformat()}, ended: {conv.ended_at.isoformat() if conv.ended_at else '—'}",
        "each message: [chain link seq | entry hash | record hash check] time direction sender: text",
        "",
    ]
    intact = True
    images: list[tuple[int, str, str]] = []
    for m in msgs:
        link = links.get(m.id)
        ok = link is not None and record_hash(m) == link.record_hash
        intact = intact and ok
        where = f"seq {link.seq} | {link.entry_hash} | {'ok' if ok else 'MISMATCH'}" if link else "NOT IN CHAIN"
        when = (m.sent_at or m.stored_at).isoformat()
        sender = m.sender_username or m.sender_id or ("us" if m.direction == "out" else "peer")
        lines.append(f"[{where}] {when} {m.direction.upper()} {sender}: {m.text}")
        if m.buttons:
            lines.append(f"    buttons: {m.buttons}")
        if m.media_path:
            lines.append(f"    media: {m.media_path} sha256 {m.media_hash or '—'}")
            images.append((m.id, m.media_path, m.media_hash or ""))
    seqs = sorted(links[m.id].seq for m in msgs if m.id in links)
    last = max(links.values(), key=lambda e: e.seq) if links else None
    return Transcript(
        conversation_id=conv.id,
        text="\n".join(lines) + "\n",
        messages=len(msgs),
        first_seq=seqs[0] if seqs else None,
        last_seq=seqs[-1] if seqs else None,
        last_hash=last.entry_hash if last else None,
        intact=intact,
        images=images,
    )


def day_label(value: datetime, timezone: str) -> str:
    """A timestamp's local date as ISO text."""
    return value.astimezone(ZoneInfo(timezone)).date().isoformat()
