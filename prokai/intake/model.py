"""What the intake pipeline carries: the messages a source hands in, where they come from, and
the batch each step reads and adds to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from prokai.intake.shops import PeerInfo
    from prokai.store.models import Message

ShopScorer = Callable[[Sequence[str]], list[float]]


@dataclass
class IncomingMessage:
    """One Telegram message as a source received it (in) or sent it (out), before it is stored."""

    telegram_id: int | None
    direction: str  # "in" | "out"
    text: str
    sent_at: datetime | None
    sender_id: int | None = None
    sender_username: str | None = None
    entities: list[Any] = field(default_factory=list)
    buttons: list[Any] = field(default_factory=list)  # JSON, as stored
    media_hash: str | None = None
    media_path: str | None = None
    raw: bytes | None = None  # the TL serialization, kept as the original
    photo: bytes | None = None  # the downloaded photo, kept as the original and read for requisites
    # Requisites already read from the photo (a source may read images outside the transaction);
    # None: the extraction step reads `photo` itself.
    image_found: list[Any] | None = None


@dataclass
class Source:
    """Where a batch of messages comes from: one conversation of one account with one peer."""

    conversation_id: int
    account_id: int | None
    peer_id: int | None  # Message.peer_id as the source writes it
    tool: str  # the collection context's tool ("prokai crawl", "prokai archive")
    origin: str  # "crawl" | "archive": noted on the requisites first found here
    actor: str
    peer: PeerInfo | None = None
    # Judges whether the peer is a shop from what it sent; None: the source already bound the
    # conversation's shop (the crawler knows its target).
    shop_scorer: ShopScorer | None = None
    context: dict[str, Any] = field(default_factory=dict)  # details of the collection context
    label: str = ""  # who collects, for audit records (the seized account's phone)
    # What the account sent is evidence too (a seized account is the shop's own); a crawler's
    # own words never are.
    extract_outgoing: bool = False


@dataclass
class Stored:
    """A message of the batch once stored."""

    incoming: IncomingMessage
    row: Message


@dataclass
class Finding:
    """A requisite found in the batch's stored message `index`; `parts` ([message id, start, end]
    of each piece) when it was split across messages."""

    index: int
    found: Any
    parts: list[list[int]] | None = None


@dataclass
class Batch:
    """One source's messages going through the pipeline, in one transaction (`session`)."""

    session: Session
    source: Source
    messages: list[IncomingMessage]
    stored: list[Stored] = field(default_factory=list)
    found: list[Finding] = field(default_factory=list)
    shop_id: int | None = None  # the conversation's shop once known
    shop_score: float | None = None  # what the shop judgement scored, when it ran
    shop_found: bool = False  # the judgement made (or confirmed) the peer a shop
    sighted: list[Any] = field(default_factory=list)  # Found newly sighted in this conversation
    new_requisite_ids: list[int] = field(default_factory=list)  # requisites first seen now
    linked: list[str] = field(default_factory=list)  # usernames named by the shop, new shops now
    review: list[int] = field(default_factory=list)  # requisite ids queued for review


class Step(Protocol):
    """One component of the pipeline: reads the batch and adds to it (or to the store)."""

    def process(self, batch: Batch) -> None: ...
