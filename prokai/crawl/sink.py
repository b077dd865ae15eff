"""The crawler's evidence sink: hands every message of a conversation to the intake pipeline
(`prokai.intake`) before the engine acts on it; one requisite is sighted at most once per
conversation (a resumed conversation never duplicates a sighting).
"""

from __future__ import annotations

from typing import Any

from prokai.crawl.guardrails import Action
from prokai.crawl.peer import Observed
from prokai.intake import IncomingMessage, Intake, Source, default_intake
from prokai.intake.steps import image_requisites
from prokai.store.audit import audit
from prokai.store.db import Database
from prokai.store.models import Direction
from prokai.store.originals import ensure_context

TOOL = "prokai crawl"


def incoming_message(obs: Observed) -> IncomingMessage:
    """What the intake takes of a received message (its image read here, outside any transaction)."""
    return IncomingMessage(
        telegram_id=obs.telegram_id, direction=Direction.IN.value, text=obs.text, sent_at=obs.edit_date or obs.date,
        sender_id=obs.sender_id, entities=obs.entities, buttons=[b.to_json() for b in obs.buttons],
        media_hash=obs.media_hash, raw=obs.raw, photo=obs.image, image_found=image_requisites(obs.image),
    )


def sent_message(obs: Observed) -> IncomingMessage:
    """What the intake takes of a message the crawler sent."""
    return IncomingMessage(telegram_id=obs.telegram_id, direction=Direction.OUT.value, text=obs.text,
                           sent_at=obs.date, raw=obs.raw, image_found=[])


class StoreSink:
    """EvidenceSink writing to the database for one conversation, through the intake pipeline."""

    def __init__(self, db: Database, conversation_id: int, account_id: int | None, shop_id: int | None,
                 peer_id: int | None, actor: str = "crawler", intake: Intake | None = None) -> None:
        self.db = db
        self.conversation_id = conversation_id
        self.account_id = account_id
        self.shop_id = shop_id  # the conversation's shop (the intake reads it from the conversation)
        self.peer_id = peer_id
        self.actor = actor
        self.intake = intake or default_intake()
        self.source = Source(conversation_id, account_id, peer_id, TOOL, "crawl", actor)
        self.new_requisite_ids: list[int] = []
        with db.session() as s:  # who collects, from the start (also a conversation nobody answers)
            ensure_context(s, conversation_id, account_id, TOOL, actor=actor)

    def incoming(self, obs: Observed) -> list[Any]:
        """Store `obs` (a new row per version) with the sightings of what it names, in one
        transaction; returns the requisites newly sighted in this conversation."""
        message = incoming_message(obs)
        with self.db.session() as s:
            batch = self.intake.feed(s, self.source, [message])
        # Stored and committed: only now is it acted on.
        self.new_requisite_ids.extend(batch.review)
        return batch.sighted

    def outgoing(self, obs: Observed, action: str) -> None:
        """Store what the crawler said (a message) or did (an audited press / start)."""
        with self.db.session() as s:
            if action == "send_text" and obs.telegram_id:
                self.intake.feed(s, self.source, [sent_message(obs)])
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
