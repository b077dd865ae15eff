"""Bring the network up to date with the store, incrementally.

The store is read from where the last update stopped (`network_state`: the last sighting and
message ids processed): new sightings give holders' names, new incoming messages (and shop
descriptions) give the peers shops name. Families are recomputed only when something they
depend on changed (new sightings, links, reviews, shops, names or shop statuses). Run after each
sweep (`prokai network update`, or `prokai.daemon.network_jobs:sweep_and_update` as the scheduler's
sweep); every query runs it first, so a query never answers from a stale picture.

Two updaters at once serialize on the `lock` row of `network_state` (a row lock on PostgreSQL,
the write lock on SQLite).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, func, insert, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prokai.network.families import FamilyChanges, recompute_families
from prokai.network.parse import find_holder, find_mentions, holder_key
from prokai.store.db import Database
from prokai.store.models import (
    Conversation,
    Message,
    NetworkHolder,
    NetworkLink,
    NetworkState,
    Requisite,
    Review,
    Shop,
    ShopUsername,
    Sighting,
)
from prokai.store.types import utcnow

BATCH = 5000
LOOKBACK = 2000  # ids below a watermark read again on PostgreSQL (see `_lookback`)
WINDOW = 5  # incoming messages before a split requisite's last piece that may carry its holder


@dataclass
class UpdateReport:
    """What one update read and changed."""

    sightings: int = 0
    holders: int = 0
    messages: int = 0
    links: int = 0
    families: FamilyChanges | None = None
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.sightings or self.messages or self.families)


def _state(session: Session, name: str) -> NetworkState:
    row = session.get(NetworkState, name)
    if row is None:
        row = NetworkState(name=name, last_id=0, updated_at=utcnow())
        session.add(row)
        session.flush()
    return row


def _lock(session: Session) -> None:
    try:
        _state(session, "lock")
        session.commit()
    except IntegrityError:  # another updater created it at the same moment
        session.rollback()
    session.execute(sql_update(NetworkState).where(NetworkState.name == "lock").values(updated_at=utcnow()))


def _lookback(session: Session) -> int:
    """How far below a watermark to look again: on PostgreSQL a row can commit after rows with
    higher ids (sequences are not transactional); SQLite commits writers one at a time."""
    return LOOKBACK if session.get_bind().dialect.name == "postgresql" else 0


def _holders(session: Session, report: UpdateReport) -> None:
    state = _state(session, "sightings")
    base = select(Sighting.id, Sighting.requisite_id, Sighting.shop_id, Sighting.seen_at, Sighting.span_start,
                  Sighting.span_end, Sighting.message_id, Sighting.conversation_id, Message.text).join(
        Message, Message.id == Sighting.message_id, isouter=True)
    back = _lookback(session)
    if back and state.last_id:
        late = session.execute(base.where(
            Sighting.id > state.last_id - back, Sighting.id <= state.last_id,
            Sighting.id.not_in(select(NetworkHolder.sighting_id).where(NetworkHolder.sighting_id > state.last_id - back)),
        )).all()
        _read_holders(session, late, report)
    while True:
        rows = session.execute(base.where(Sighting.id > state.last_id).order_by(Sighting.id).limit(BATCH)).all()
        if not rows:
            return
        _read_holders(session, rows, report)
        report.sightings += len(rows)
        state.last_id = rows[-1][0]
        state.updated_at = utcnow()
        session.flush()


def _read_holders(session: Session, rows: Sequence[Any], report: UpdateReport) -> None:
    """Holders' names in the sightings' messages (for a split requisite: the messages before it)."""
    found = []
    for sid, rid, shop_id, seen_at, start, end, mid, conv_id, text in rows:
        name = find_holder(text or "", start, end)
        if name is None and start is None and conv_id is not None and mid is not None:
            before = session.scalars(
                select(Message.text).where(Message.conversation_id == conv_id, Message.id < mid,
                                           Message.direction == "in")
                .order_by(Message.id.desc()).limit(WINDOW)
            ).all()
            name = next((n for n in (find_holder(t) for t in before) if n), None)
        if name:
            found.append({"sighting_id": sid, "requisite_id": rid, "shop_id": shop_id, "name": name,
                          "name_key": holder_key(name), "seen_at": seen_at})
    if found:
        session.execute(insert(NetworkHolder), found)
    report.holders += len(found)


def _upsert_link(session: Session, cache: dict[tuple[int, str, str], NetworkLink], shop_id: int, target: str,
                 kind: str, context: str, message_id: int | None, when: object) -> bool:
    key = (shop_id, target, kind)
    link = cache.get(key)  # every link row is in the cache (there is one per shop, peer and kind)
    created = link is None
    if link is None:
        link = NetworkLink(shop_id=shop_id, target=target, kind=kind, first_message_id=message_id,
                           context=context[:256], mentions=0, first_seen=when, last_seen=when)
        session.add(link)
    cache[key] = link
    if message_id is not None:
        link.mentions += 1
        if link.last_seen is None or when > link.last_seen:  # type: ignore[operator]
            link.last_seen = when  # type: ignore[assignment]
    return created


def _links(session: Session, report: UpdateReport) -> None:
    state = _state(session, "messages")
    cache = {(x.shop_id, x.target, x.kind): x for x in session.scalars(select(NetworkLink))}
    top = session.scalar(select(func.max(Message.id))) or 0
    report.messages = session.scalar(select(func.count()).select_from(Message).where(
        Message.id > state.last_id, Message.id <= top)) or 0
    # Only messages that can name a peer are fetched: an @, a t.me link, buttons or entities.
    names_someone = or_(Message.text.like("%@%"), Message.text.like("%t.me/%"), Message.text.like("%telegram.me/%"),
                        cast(Message.buttons, Text) != "[]", cast(Message.entities, Text) != "[]")
    base = (
        select(Message.id, Message.text, Message.buttons, Message.entities, Message.sent_at, Message.stored_at,
               Conversation.shop_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.direction == "in", Conversation.shop_id.is_not(None), names_someone)
    )
    back = _lookback(session)
    if back and state.last_id:  # late commits below the watermark: add the links they name, count nothing twice
        for mid, text, buttons, entities, sent_at, stored_at, shop_id in session.execute(
            base.where(Message.id > state.last_id - back, Message.id <= state.last_id)
        ):
            for m in find_mentions(text, buttons or [], entities or []):
                if (shop_id, m.target, m.kind) not in cache:
                    report.links += _upsert_link(session, cache, shop_id, m.target, m.kind, m.context, mid,
                                                 sent_at or stored_at)
    while state.last_id < top:
        rows = session.execute(
            base.where(Message.id > state.last_id, Message.id <= top).order_by(Message.id).limit(BATCH)
        ).all()
        for mid, text, buttons, entities, sent_at, stored_at, shop_id in rows:
            for m in find_mentions(text, buttons or [], entities or []):
                report.links += _upsert_link(session, cache, shop_id, m.target, m.kind, m.context, mid,
                                             sent_at or stored_at)
        state.last_id = rows[-1][0] if len(rows) == BATCH else top
        state.updated_at = utcnow()
        session.flush()
    for sid, about, first_seen in session.execute(
        select(Shop.id, Shop.description, Shop.first_seen).where(Shop.description.is_not(None))
    ):
        for m in find_mentions(about or ""):
            report.links += _upsert_link(session, cache, sid, m.target, m.kind, m.context, None, first_seen)
    session.flush()


def _fingerprint(session: Session) -> int:
    """A number that changes when anything families depend on changes."""
    parts = [
        session.scalar(select(func.max(Sighting.id))),
        session.scalar(select(func.count()).select_from(Sighting)),  # late commits below the highest id too
        session.scalar(select(func.max(NetworkLink.id))),
        session.scalar(select(func.max(Review.id))),
        session.scalar(select(func.max(ShopUsername.id))),
        session.scalar(select(func.count()).select_from(Requisite).where(Requisite.status == "rejected")),
        *session.execute(select(Shop.status, func.count()).group_by(Shop.status).order_by(Shop.status)).all(),
        *session.execute(select(Shop.kind, func.count()).group_by(Shop.kind).order_by(Shop.kind)).all(),
    ]
    return zlib.crc32(repr(parts).encode())


def update_session(session: Session, force: bool = False) -> UpdateReport:
    """Read what is new in the store into the network tables (in `session`, not committed)."""
    report = UpdateReport()
    _lock(session)
    _holders(session, report)
    _links(session, report)
    fp = _state(session, "families")
    now_fp = _fingerprint(session)
    if force or now_fp != fp.last_id:
        report.families = recompute_families(session)
        fp.last_id = now_fp
        fp.updated_at = utcnow()
    return report


def update(db: Database, force: bool = False) -> UpdateReport:
    """Bring the network tables up to date (one transaction); see the module docstring."""
    with db.session() as s:
        return update_session(s, force=force)
