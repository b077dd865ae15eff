"""The crawler's evidence pipeline: store every message before acting on it, extract requisites,
record sightings; one requisite is sighted at most once per conversation (a resumed
conversation never duplicates a sighting).
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from sqlalchemy import select

from prokai.crawl.guardrails import Action
from prokai.crawl.peer import Observed
from prokai.store.audit import audit
from prokai.store.db import Database
from prokai.store.models import Direction, Message, Sighting
from prokai.store.originals import add_originals, ensure_context
from prokai.store.requisites import add_sighting, upsert_requisite

log = logging.getLogger(__name__)


def extract_all(text: str, window: list[str], image: bytes | None) -> list[Any]:
    """Requisites in one message: its text, the recent window (split digits), its image."""
    from prokai.extract import extract, extract_image, extract_window

    found = list(extract(text)) if text else []
    have = {(f.kind, f.value) for f in found}
    if len(window) > 1:
        last = len(window) - 1
        for f in extract_window(window):
            touches_last = f.parts is not None and any(p[0] == last for p in f.parts)
            if touches_last and (f.kind, f.value) not in have and f.message != last:
                found.append(f)
                have.add((f.kind, f.value))
    if image:
        for f in extract_image(image).found:
            if (f.kind, f.value) not in have:
                found.append(f)
                have.add((f.kind, f.value))
    return found


class StoreSink:
    """EvidenceSink writing to the database for one conversation."""

    def __init__(self, db: Database, conversation_id: int, account_id: int | None, shop_id: int | None,
                 peer_id: int | None, actor: str = "crawler") -> None:
        self.db = db
        self.conversation_id = conversation_id
        self.account_id = account_id
        self.shop_id = shop_id
        self.peer_id = peer_id
        self.actor = actor
        self.window: deque[str] = deque(maxlen=6)  # shops split a card over up to ~5 messages
        self.new_requisite_ids: list[int] = []
        self.seen_texts: list[str] = []  # incoming texts and URL buttons, for discovery
        with db.session() as s:  # a resumed conversation: what came before still completes a split
            ensure_context(s, conversation_id, account_id, "prokai crawl", actor=actor)
            recent = s.scalars(
                select(Message.text).where(Message.conversation_id == conversation_id, Message.direction == "in")
                .order_by(Message.id.desc()).limit(self.window.maxlen or 6)
            ).all()
        self.window.extend(reversed(recent))

    def _first_version(self, session: Any, telegram_id: int) -> Message | None:
        return session.scalar(
            select(Message)
            .where(Message.conversation_id == self.conversation_id, Message.telegram_message_id == telegram_id)
            .order_by(Message.id)
            .limit(1)
        )

    def _latest_version(self, session: Any, telegram_id: int) -> Message | None:
        return session.scalar(
            select(Message)
            .where(Message.conversation_id == self.conversation_id, Message.telegram_message_id == telegram_id)
            .order_by(Message.id.desc())
            .limit(1)
        )

    def incoming(self, obs: Observed) -> list[Any]:
        """Store `obs` (a new row per version) with the sightings of what it names, in one
        transaction; returns the requisites newly sighted in this conversation."""
        buttons = [b.to_json() for b in obs.buttons]
        try:
            found = extract_all(obs.text, [*self.window, obs.text], obs.image)
        except Exception as exc:  # a shop that sends garbage must not stop the crawl
            log.warning("extraction failed on message %s: %s", obs.telegram_id, exc)
            found = []
        fresh = []
        with self.db.session() as s:
            latest = self._latest_version(s, obs.telegram_id)
            if latest is not None and latest.text == obs.text and latest.buttons == buttons and (
                latest.media_hash == obs.media_hash
            ):
                return []  # already stored, with its sightings (a resumed conversation sees it again)
            first = self._first_version(s, obs.telegram_id) if latest is not None else None
            msg = Message(
                conversation_id=self.conversation_id,
                account_id=self.account_id,
                direction=Direction.IN.value,
                telegram_message_id=obs.telegram_id,
                peer_id=self.peer_id,
                sender_id=obs.sender_id,
                text=obs.text,
                entities=obs.entities,
                buttons=buttons,
                media_hash=obs.media_hash,
                edit_of_id=first.id if first is not None else None,
                sent_at=obs.edit_date or obs.date,
            )
            s.add(msg)
            s.flush()
            add_originals(s, msg, obs.raw, obs.image, obs.edit_date or obs.date)
            already = set(
                s.scalars(select(Sighting.requisite_id).where(Sighting.conversation_id == self.conversation_id))
            )
            for f in found:
                req, created = upsert_requisite(s, f)
                s.flush()
                if req.id in already:
                    continue
                add_sighting(s, req, msg.id, self.conversation_id, f, self.shop_id)
                already.add(req.id)
                if created:
                    self.new_requisite_ids.append(req.id)
                fresh.append(f)
        # Stored and committed: only now is it acted on.
        self.window.append(obs.text)
        self.seen_texts.append(obs.text)
        self.seen_texts.extend(b.url for b in obs.buttons if b.url)
        self.seen_texts.extend(e["url"] for e in obs.entities if e.get("url"))  # text_url: a link under a word
        return fresh

    def outgoing(self, obs: Observed, action: str) -> None:
        """Store what the crawler said (a message) or did (an audited press / start)."""
        with self.db.session() as s:
            if action == "send_text" and obs.telegram_id:
                sent = Message(
                    conversation_id=self.conversation_id,
                    account_id=self.account_id,
                    direction=Direction.OUT.value,
                    telegram_message_id=obs.telegram_id,
                    peer_id=self.peer_id,
                    text=obs.text,
                    entities=[],
                    buttons=[],
                    sent_at=obs.date,
                )
                s.add(sent)
                s.flush()
                add_originals(s, sent, obs.raw, None, obs.date)
            else:
                audit(s, self.actor, f"crawl.{action}", "conversation", self.conversation_id,
                      text=obs.text, message_id=obs.telegram_id or None,
                      button=obs.buttons[0].to_json() if obs.buttons else None)

    def refused(self, action: Action, reason: str) -> None:
        """Record a guardrail refusal (the action was not performed)."""
        with self.db.session() as s:
            audit(s, self.actor, "crawl.refused", "conversation", self.conversation_id,
                  attempted=action.kind.value, text=action.text or (action.button.text if action.button else ""),
                  reason=reason)
