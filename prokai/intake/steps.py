"""The intake steps: each one small component with one method, `process(batch)`.

The order (and which run) is `settings.intake.steps`; `prokai.intake.pipeline.DEFAULT_STEPS` is
the default: store the evidence, extract requisites, judge the shop, record sightings, link the
shops it names, queue the new requisites for review.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from prokai.intake.model import Batch, Finding, Stored
from prokai.intake.shops import upsert_shop
from prokai.store.audit import audit
from prokai.store.models import Conversation, Message, ShopKind, ShopStatus, Sighting
from prokai.store.originals import add_originals, ensure_context
from prokai.store.requisites import add_sighting, upsert_requisite
from prokai.store.types import utcnow

log = logging.getLogger(__name__)

TELEGRAM_SERVICE_ID = 777000  # Telegram's own notifications account (login codes): never a shop
WINDOW = 6  # shops split a card over up to ~5 messages: the message and the 5 before it
SHOP_KINDS = (ShopKind.BOT.value, ShopKind.OPERATOR.value, ShopKind.CHANNEL.value)


def image_requisites(data: bytes | None) -> list[Any]:
    """Requisites in an image (QR and OCR); no image or an unreadable one gives none."""
    if not data:
        return []
    from prokai.extract import extract_image

    try:
        return list(extract_image(data).found)
    except Exception as exc:  # noqa: BLE001 - a broken image must not stop the intake
        log.warning("image not readable: %s", exc)
        return []


class StoreEvidence:
    """Each message as a new row before anything acts on it (an edit is a new row pointing at the
    first version), with its originals and the conversation's collection context. A message
    already stored unchanged (a resumed conversation, a re-run) is skipped."""

    def process(self, batch: Batch) -> None:
        """Store `batch.messages`; fills `batch.stored`."""
        s, src = batch.session, batch.source
        for m in batch.messages:
            first = latest = None
            if m.telegram_id is not None:
                versions = select(Message).where(Message.conversation_id == src.conversation_id,
                                                 Message.telegram_message_id == m.telegram_id,
                                                 Message.direction == m.direction)
                latest = s.scalar(versions.order_by(Message.id.desc()).limit(1))
                first = s.scalar(versions.order_by(Message.id).limit(1)) if latest is not None else None
            if latest is not None and (latest.text, latest.buttons, latest.media_hash) == (
                m.text, m.buttons, m.media_hash
            ):
                continue
            if not batch.stored:
                ensure_context(s, src.conversation_id, src.account_id, src.tool, actor=src.actor, **src.context)
            row = Message(
                conversation_id=src.conversation_id, account_id=src.account_id, direction=m.direction,
                telegram_message_id=m.telegram_id, peer_id=src.peer_id, sender_id=m.sender_id,
                sender_username=m.sender_username, text=m.text, entities=m.entities, buttons=m.buttons,
                media_hash=m.media_hash, media_path=m.media_path,
                edit_of_id=first.id if first is not None else None, sent_at=m.sent_at,
            )
            s.add(row)
            s.flush()
            add_originals(s, row, m.raw, m.photo, m.sent_at)
            batch.stored.append(Stored(m, row))


class ExtractRequisites:
    """Requisites in each stored message: its text, the window of the messages before it from the
    same side (digits split across messages, also across pages and runs), and its image.

    A requisite split across messages belongs to the message that completes it. What the account
    itself sent is read only where the source says it is evidence (a seized account's own
    messages); a crawler's own words never are.
    """

    def __init__(self, window: int = WINDOW) -> None:
        self.window = window

    @classmethod
    def from_settings(cls, settings: Any) -> ExtractRequisites:
        """Built with `intake.window`."""
        intake = getattr(settings, "intake", None)
        return cls(intake.window if intake is not None else WINDOW)

    def process(self, batch: Batch) -> None:
        """Fill `batch.found` from `batch.stored`."""
        for index, st in enumerate(batch.stored):
            if st.row.direction == "out" and not batch.source.extract_outgoing:
                continue
            try:
                batch.found.extend(Finding(index, f, parts) for f, parts in self._read(batch, st))
            except Exception as exc:  # noqa: BLE001 - a shop that sends garbage must not stop the intake
                log.warning("extraction failed on message %s: %s", st.row.telegram_message_id, exc)

    def _read(self, batch: Batch, st: Stored) -> list[tuple[Any, list[list[int]] | None]]:
        from prokai.extract import extract, extract_window

        row = st.row
        out: list[tuple[Any, list[list[int]] | None]] = [(f, None) for f in (extract(row.text) if row.text else [])]
        have = {(f.kind, f.value) for f, _ in out}
        earlier = list(reversed(batch.session.scalars(
            select(Message).where(Message.conversation_id == row.conversation_id, Message.direction == row.direction,
                                  Message.id < row.id)
            .order_by(Message.id.desc()).limit(self.window - 1)
        ).all()))
        if earlier:
            rows = [*earlier, row]
            last = len(rows) - 1
            for f in extract_window([r.text for r in rows]):
                touches_last = f.parts is not None and any(p[0] == last for p in f.parts)
                if touches_last and f.message != last and (f.kind, f.value) not in have:
                    out.append((f, [[rows[i].id, a, b] for i, a, b in f.parts or []]))
                    have.add((f.kind, f.value))
        image = st.incoming.image_found
        for f in image if image is not None else image_requisites(st.incoming.photo):
            if (f.kind, f.value) not in have:
                out.append((f, None))
                have.add((f.kind, f.value))
        return out


class JudgeShop:
    """The conversation's shop. A source that knows its peer (the crawler's target) has bound it
    already; otherwise the peer's own messages are scored and a peer that reads as a shop becomes
    one (by Telegram id, a new username recorded as a rename)."""

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    @classmethod
    def from_settings(cls, settings: Any) -> JudgeShop:
        """Built with `nlp.shop_threshold`."""
        return cls(settings.nlp.shop_threshold)

    def process(self, batch: Batch) -> None:
        """Set `batch.shop_id` (and the shop, where the source asks for a judgement)."""
        s, src = batch.session, batch.source
        conv = s.get(Conversation, src.conversation_id)
        assert conv is not None
        batch.shop_id = conv.shop_id
        peer = src.peer
        if src.shop_scorer is None or peer is None or not batch.stored:
            return
        incoming = [st.row.text for st in batch.stored if st.row.direction == "in" and st.row.text.strip()]
        score = max(src.shop_scorer(incoming), default=0.0) if incoming else 0.0
        batch.shop_score = score
        state = dict(conv.state or {})
        state["shop_score"] = max(score, float(state.get("shop_score", 0.0)))
        conv.state = state
        if score < self.threshold or peer.telegram_id == TELEGRAM_SERVICE_ID or peer.kind not in SHOP_KINDS:
            return
        shop = upsert_shop(s, peer, status=ShopStatus.ALIVE.value)
        sent = any(batch.stored[f.index].row.direction == "in" for f in batch.found)
        shop.shop_score = max(score, shop.shop_score or 0.0)
        meta = dict(shop.meta or {})
        meta.update({"source": meta.get("source", src.origin),
                     "archived_from": sorted({*meta.get("archived_from", []), *([src.label] if src.label else [])}),
                     "sent_requisites": bool(meta.get("sent_requisites")) or sent})
        shop.meta = meta
        s.flush()
        audit(s, src.actor, "shop.found", "shop", shop.id, telegram_id=shop.telegram_id, username=shop.username,
              kind=shop.kind, score=round(shop.shop_score or 0.0, 4), account=src.label)
        conv.shop_id = batch.shop_id = shop.id
        batch.shop_found = True


class RecordSightings:
    """A requisite row per (kind, value) and one sighting per conversation: the message that first
    showed it, from the conversation's shop when the peer sent it, seen when Telegram dated it."""

    def process(self, batch: Batch) -> None:
        """Fill `batch.sighted` and `batch.new_requisite_ids`."""
        s, src = batch.session, batch.source
        if not batch.found:
            return
        already = set(s.scalars(select(Sighting.requisite_id).where(Sighting.conversation_id == src.conversation_id)))
        for finding in batch.found:
            row = batch.stored[finding.index].row
            req, created = upsert_requisite(s, finding.found, source=src.origin)
            s.flush()
            if req.id in already:
                continue
            details: dict[str, Any] = {"direction": row.direction}
            if finding.parts:
                details["parts"] = finding.parts  # [message id, start, end] of each piece
            add_sighting(s, req, row.id, src.conversation_id, finding.found,
                         batch.shop_id if row.direction == "in" else None,
                         seen_at=row.sent_at or utcnow(), details=details)
            already.add(req.id)
            batch.sighted.append(finding.found)
            if created:
                batch.new_requisite_ids.append(req.id)


class QueueReview:
    """Requisites first seen now wait for a reviewer (pending; the admin bot announces them)."""

    def process(self, batch: Batch) -> None:
        """Fill `batch.review`."""
        batch.review.extend(batch.new_requisite_ids)
