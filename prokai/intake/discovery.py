"""Discovery: the peers a conversation's messages name (@usernames, t.me links, link buttons,
links under a word), read from the stored messages, so a resumed conversation and the archive
of a seized account discover the same as a live crawl.

Private invite links are discovered as targets of their own kind: recorded, never resolved.
`LinkNamedShops` is the intake step that keeps the usernames a shop names as shops to resolve.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prokai.intake.model import Batch
from prokai.intake.shops import link_shop, norm_username
from prokai.intake.targets import TargetKind, TargetSpec, find_target_mentions
from prokai.store.models import Message, Shop, ShopStatus


def _urls(value: Any) -> Iterator[str]:
    """URLs in stored buttons or entities (rows of dicts or a flat list, whichever the source kept)."""
    if isinstance(value, dict):
        if isinstance(value.get("url"), str):
            yield value["url"]
    elif isinstance(value, list):
        for item in value:
            yield from _urls(item)


def message_mentions(message: Message) -> list[TargetSpec]:
    """What one stored message names: in its text, its URL buttons and its text links."""
    found: dict[str, TargetSpec] = {}
    for text in (message.text or "", *_urls(message.buttons), *_urls(message.entities)):
        for spec in find_target_mentions(text):
            found.setdefault(spec.key, spec)
    return list(found.values())


def discovered_targets(session: Session, conversation_id: int, texts: Iterable[str] = (),
                       own: Iterable[str | None] = ()) -> list[TargetSpec]:
    """The targets named in a conversation: its stored incoming messages, plus `texts` (a
    profile's description), less the peer's own names (`own`)."""
    skip = {f"{TargetKind.USERNAME.value}:{n}" for n in map(norm_username, own) if n}
    found: dict[str, TargetSpec] = {}
    rows = session.scalars(select(Message).where(Message.conversation_id == conversation_id,
                                                 Message.direction == "in").order_by(Message.id))
    for spec in [s for m in rows for s in message_mentions(m)] + [s for t in texts for s in find_target_mentions(t or "")]:
        if spec.key not in skip:
            found.setdefault(spec.key, spec)
    return list(found.values())


class LinkNamedShops:
    """Intake step: the usernames a shop names in its messages become shops to resolve and crawl
    later (status unknown, `meta.source = "link"`). Invite links and phone numbers name no
    username: they stay discovered targets only."""

    def process(self, batch: Batch) -> None:
        """Fill `batch.linked` with the usernames that became shops now."""
        if batch.shop_id is None:
            return
        s = batch.session
        shop = s.get(Shop, batch.shop_id)
        if shop is None or shop.status == ShopStatus.NOT_SHOP.value:
            return
        peer = batch.source.peer
        own = {n for n in (norm_username(shop.username), norm_username(peer.username if peer else None)) if n}
        named_by: Any = shop.username or shop.telegram_id
        for st in batch.stored:
            if st.row.direction != "in":
                continue
            for spec in message_mentions(st.row):
                if spec.kind != TargetKind.USERNAME or spec.value in own or spec.value in batch.linked:
                    continue
                if link_shop(s, spec.value, named_by) is not None:
                    batch.linked.append(spec.value)
