"""SQLAlchemy 2.0 typed models: the data flow SIM → Account → Campaign → Target → Conversation →
Message (evidence) → Requisite sighting → Review → Export, plus the audit log and evidence chain.

States and kinds are stored as short strings; the allowed values are the StrEnums below. Tables
that are evidence (messages, reviews, audit records) define `canonical()`, the exact content the
evidence chain hashes (see `prokai.store.chain`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from prokai.store.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class Evidence:
    """Mixin for tables in the evidence chain: `CANONICAL` names the hashed columns, in no order."""

    CANONICAL: ClassVar[tuple[str, ...]] = ()
    DECIMAL: ClassVar[tuple[str, ...]] = ()  # numeric columns among them

    def canonical(self) -> dict[str, Any]:
        """The content the evidence chain hashes.

        Reads the instance state directly (this runs for every stored message): an attribute absent
        from it was never set, hence NULL, unless SQLAlchemy expired it, in which case it is loaded.
        """
        state = self.__dict__
        expired = state["_sa_instance_state"].expired_attributes
        out = {k: state[k] if k in state else (getattr(self, k) if k in expired else None) for k in self.CANONICAL}
        for k in self.DECIMAL:
            # What the database gives back: a Decimal, whatever number the writer set.
            if out[k] is not None and not isinstance(out[k], Decimal):
                out[k] = Decimal(str(out[k]))
        for k, v in out.items():
            if isinstance(v, datetime) and v.tzinfo is not None and v.utcoffset():
                out[k] = v.astimezone(UTC)
        return out


# Big integers that SQLite still treats as its rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class AccountState(StrEnum):
    NEW = "new"
    ACTIVE = "active"
    COOLING = "cooling"
    LIMITED = "limited"
    FROZEN = "frozen"
    BANNED = "banned"
    NEEDS_RELOGIN = "needs_relogin"
    TWO_FA_LOCKED = "2fa_locked"
    NEEDS_APP_REGISTRATION = "needs_app_registration"


class ShopKind(StrEnum):
    BOT = "bot"
    OPERATOR = "operator"
    CHANNEL = "channel"
    GROUP = "group"
    UNKNOWN = "unknown"


class ShopStatus(StrEnum):
    UNKNOWN = "unknown"
    ALIVE = "alive"
    RENAMED = "renamed"
    DEAD = "dead"
    NOT_SHOP = "not_shop"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class RequisiteStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


# --- SimBox inventory -----------------------------------------------------------------------


class SimBox(Base):
    __tablename__ = "simboxes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    site: Mapped[str | None] = mapped_column(String(256))
    control_port: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ports: Mapped[list[ModemPort]] = relationship(back_populates="simbox")


class ModemPort(Base):
    __tablename__ = "modem_ports"
    __table_args__ = (UniqueConstraint("simbox_id", "imei"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    simbox_id: Mapped[int] = mapped_column(ForeignKey("simboxes.id", ondelete="CASCADE"))
    imei: Mapped[str | None] = mapped_column(String(32))
    usb_path: Mapped[str | None] = mapped_column(String(256))
    tty: Mapped[str | None] = mapped_column(String(256))
    vendor: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(32), default="unknown")
    last_seen: Mapped[datetime | None]
    simbox: Mapped[SimBox] = relationship(back_populates="ports")


class Sim(Base):
    __tablename__ = "sims"
    id: Mapped[int] = mapped_column(primary_key=True)
    iccid: Mapped[str] = mapped_column(String(32), unique=True)
    imsi: Mapped[str | None] = mapped_column(String(32))
    msisdn: Mapped[str | None] = mapped_column(String(32), index=True)
    operator: Mapped[str | None] = mapped_column(String(128))
    pin_state: Mapped[str | None] = mapped_column(String(32))
    signal: Mapped[int | None]
    registration: Mapped[str | None] = mapped_column(String(32))
    port_id: Mapped[int | None] = mapped_column(ForeignKey("modem_ports.id", ondelete="SET NULL"))
    bank_position: Mapped[str | None] = mapped_column(String(32))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SmsMessage(Base):
    """An SMS read from a SIM, kept before the SIM copy is deleted."""

    __tablename__ = "sms_messages"
    __table_args__ = (UniqueConstraint("sim_id", "dedup_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sim_id: Mapped[int] = mapped_column(ForeignKey("sims.id", ondelete="CASCADE"))
    sender: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    pdus: Mapped[list[Any]] = mapped_column(default=list)
    dedup_key: Mapped[str] = mapped_column(String(128))
    login_code: Mapped[str | None] = mapped_column(String(16))


# --- Accounts ---------------------------------------------------------------------------------


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    sim_id: Mapped[int | None] = mapped_column(ForeignKey("sims.id", ondelete="SET NULL"))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    username: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32), default=AccountState.NEW.value, index=True)
    state_reason: Mapped[str | None] = mapped_column(Text)
    session_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_id: Mapped[str | None] = mapped_column(String(64))
    proxy: Mapped[str | None] = mapped_column(String(256))
    device: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seized: Mapped[bool] = mapped_column(Boolean, default=False)
    cooldown_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AccountCooldown(Base):
    """A wait imposed on one account for one kind of request (FloodWait), persisted."""

    __tablename__ = "account_cooldowns"
    __table_args__ = (UniqueConstraint("account_id", "request_kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    request_kind: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)


class TwoFactorTry(Base):
    """A two-step password tried on an account and refused, by its keyed fingerprint (never the
    password): the login stops at `accounts.max_2fa_tries`; a login or a reset forgets them."""

    __tablename__ = "account_2fa_tries"
    __table_args__ = (UniqueConstraint("account_id", "fingerprint"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(128))
    tried_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Cases, campaigns, shops, targets ----------------------------------------------------------


class Case(Base):
    """A legal basis: every campaign names one."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("case_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    name: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(32), default="created")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    case: Mapped[Case] = relationship()


class SweepCampaign(Base):
    """A campaign that is one night's sweep (`sweep_key`, its date) of an original campaign's live shops."""

    __tablename__ = "sweep_campaigns"
    __table_args__ = (UniqueConstraint("source_campaign_id", "sweep_key"),)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True,
                                             autoincrement=False)
    source_campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    sweep_key: Mapped[str] = mapped_column(String(32), index=True)


class Shop(Base):
    """A Telegram peer that is (or was suspected to be) a shop; identity is the Telegram id."""

    __tablename__ = "shops"
    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    title: Mapped[str | None] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16), default=ShopKind.UNKNOWN.value)
    status: Mapped[str] = mapped_column(String(16), default=ShopStatus.UNKNOWN.value)
    shop_score: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    usernames: Mapped[list[ShopUsername]] = relationship(back_populates="shop")


class ShopUsername(Base):
    """Username history: a rename adds a row, the Telegram id stays."""

    __tablename__ = "shop_usernames"
    __table_args__ = (UniqueConstraint("shop_id", "username"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(64), index=True)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    shop: Mapped[Shop] = relationship(back_populates="usernames")


class ShopStatusChange(Evidence, Base):
    """What a sweep saw of a shop: alive, renamed, dead, requisites changed. A chain link."""

    __tablename__ = "shop_status_changes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    CANONICAL = ("shop_id", "at", "status", "details")


class Target(Base):
    """One shop within one campaign, deduplicated by the shop (Telegram id) once resolved."""

    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("campaign_id", "shop_id"),
        UniqueConstraint("campaign_id", "raw"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    raw: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(16), default=ShopKind.UNKNOWN.value)
    status: Mapped[str] = mapped_column(String(32), default="pending")
    outcome: Mapped[str | None] = mapped_column(String(32))
    depth: Mapped[int] = mapped_column(default=0)
    discovered_from_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"), index=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    peer_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16), default="crawl")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)


# --- Evidence -----------------------------------------------------------------------------------


class Message(Evidence, Base):
    """A message exactly as received or sent. An edit is a new row pointing at the original."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conv_tg", "conversation_id", "telegram_message_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    direction: Mapped[str] = mapped_column(String(8))
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    peer_id: Mapped[int | None] = mapped_column(BigInteger)
    sender_id: Mapped[int | None] = mapped_column(BigInteger)
    sender_username: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    entities: Mapped[list[Any]] = mapped_column(default=list)
    buttons: Mapped[list[Any]] = mapped_column(default=list)
    media_hash: Mapped[str | None] = mapped_column(String(64))
    media_path: Mapped[str | None] = mapped_column(String(512))
    edit_of_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    sent_at: Mapped[datetime | None]
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)

    CANONICAL = (
        "conversation_id",
        "account_id",
        "direction",
        "telegram_message_id",
        "peer_id",
        "sender_id",
        "sender_username",
        "text",
        "entities",
        "buttons",
        "media_hash",
        "edit_of_id",
        "sent_at",
        "stored_at",
    )


class Original(Evidence, Base):
    """A message or a photo exactly as Telegram sent it: the serialized TL object (`tl`) or the
    downloaded file (`photo`). A chain link: the hash covers `sha256` of `data`, Telegram's date
    and the collector's clock."""

    __tablename__ = "originals"
    __table_args__ = (UniqueConstraint("message_id", "kind"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    telegram_date: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    CANONICAL = ("message_id", "kind", "sha256", "size", "telegram_date", "received_at")


class CollectionContext(Evidence, Base):
    """Who collected a conversation with what: one per collection session (a conversation resumed
    later, elsewhere, gets another). A chain link."""

    __tablename__ = "collection_contexts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    phone: Mapped[str | None] = mapped_column(String(32))
    sim_iccid: Mapped[str | None] = mapped_column(String(32))
    node: Mapped[str] = mapped_column(String(128))
    tool: Mapped[str] = mapped_column(String(64))
    tool_version: Mapped[str] = mapped_column(String(32))
    config_hash: Mapped[str | None] = mapped_column(String(64))
    collector_clock: Mapped[datetime] = mapped_column(default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    CANONICAL = (
        "conversation_id",
        "account_id",
        "phone",
        "sim_iccid",
        "node",
        "tool",
        "tool_version",
        "config_hash",
        "collector_clock",
        "details",
    )


class Requisite(Evidence, Base):
    """A payment requisite, unique by kind and normalized value. A chain link: what it is and when it
    was first seen are hashed; `status` is derived from its chained reviews (`evidence verify`
    checks it), `last_seen` and `meta` are working notes."""

    __tablename__ = "requisites"
    __table_args__ = (UniqueConstraint("kind", "value"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    value: Mapped[str] = mapped_column(String(128))
    issuer: Mapped[str | None] = mapped_column(String(128))
    country: Mapped[str | None] = mapped_column(String(8))
    network: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=RequisiteStatus.PENDING.value, index=True)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    CANONICAL = ("kind", "value", "issuer", "country", "network", "first_seen")


class RequisiteNotification(Base):
    """One copy of a requisite's card the bot sent (which chat, which message). A requisite with a
    row was notified; kept apart from the requisite, a chain link, because it is working state."""

    __tablename__ = "requisite_notifications"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    requisite_id: Mapped[int] = mapped_column(ForeignKey("requisites.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)  # None: moved from a record without copies
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    notified_at: Mapped[datetime] = mapped_column(default=utcnow)


class Sighting(Evidence, Base):
    """One time a requisite was seen: in which message, from which shop, for what amount. A chain link."""

    __tablename__ = "sightings"
    __table_args__ = (UniqueConstraint("requisite_id", "message_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    requisite_id: Mapped[int] = mapped_column(ForeignKey("requisites.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(20, 8))
    currency: Mapped[str | None] = mapped_column(String(8))
    method: Mapped[str | None] = mapped_column(String(64))
    span_start: Mapped[int | None]
    span_end: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    CANONICAL = (
        "requisite_id",
        "message_id",
        "shop_id",
        "conversation_id",
        "seen_at",
        "amount",
        "currency",
        "method",
        "span_start",
        "span_end",
        "details",
    )
    DECIMAL = ("amount",)


class Review(Evidence, Base):
    """A reviewer's decision on a requisite."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    requisite_id: Mapped[int] = mapped_column(ForeignKey("requisites.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(BigInteger)
    reviewer_name: Mapped[str | None] = mapped_column(String(128))
    decision: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    CANONICAL = (
        "requisite_id",
        "reviewer_id",
        "reviewer_name",
        "decision",
        "comment",
        "created_at",
    )


class AuditRecord(Evidence, Base):
    """Who did what to which object, when. Appended to the evidence chain."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    CANONICAL = (
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "details",
    )


class ChainEntry(Base):
    """One link: entry_hash = SHA-256(prev_hash ‖ record_type ‖ record_id ‖ SHA-256(canonical record)).

    `seq` is the primary key and every appender takes the next one from the locked head row, so
    two writers can never both extend the same link (no fork).
    """

    __tablename__ = "evidence_chain"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int] = mapped_column(BigInteger)
    record_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (UniqueConstraint("record_type", "record_id"),)


class ChainHead(Base):
    """The single row holding the chain's tip; appenders lock it to serialize."""

    __tablename__ = "evidence_chain_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))


# --- The network (prokai.network): derived from the evidence, updated incrementally -------------


class NetworkState(Base):
    """How far `prokai.network` has read the store: one row per watermark (the last id processed)."""

    __tablename__ = "network_state"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NetworkHolder(Base):
    """A holder's name as the shop wrote it next to a requisite, read from the sighting's message."""

    __tablename__ = "network_holders"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sighting_id: Mapped[int] = mapped_column(ForeignKey("sightings.id", ondelete="CASCADE"), unique=True)
    requisite_id: Mapped[int] = mapped_column(ForeignKey("requisites.id", ondelete="CASCADE"), index=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    name_key: Mapped[str] = mapped_column(String(128), index=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class NetworkLink(Base):
    """A shop naming another peer (@username, t.me link, link button) in its messages or description."""

    __tablename__ = "network_links"
    __table_args__ = (UniqueConstraint("shop_id", "target", "kind"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    first_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    context: Mapped[str] = mapped_column(String(256), default="")
    mentions: Mapped[int] = mapped_column(default=0)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)


class ShopFamily(Base):
    """Shops run by one organisation; the id comes from its founder (oldest member) and stays."""

    __tablename__ = "shop_families"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    founder_shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    members: Mapped[int] = mapped_column(default=0)
    merged_into: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShopFamilyMember(Base):
    """Which family a shop belongs to now."""

    __tablename__ = "shop_family_members"
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("shop_families.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Working state of the bot and the daemon (not evidence: the audit log records the actions) ---


class ReviewerPref(Base):
    """A reviewer's settings in the admin bot (their /lang choice)."""

    __tablename__ = "reviewer_prefs"
    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    lang: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RefusalAnswer(Base):
    """Someone the bot refused and answered once (a stranger gets one answer, ever)."""

    __tablename__ = "refusal_answers"
    actor: Mapped[str] = mapped_column(String(128), primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobRun(Base):
    """One run of a named job: running until it ends finished, failed, interrupted or unavailable.

    A run that is running or interrupted and that no later run resumes (`resumed_from`) is
    unfinished: the next start resumes it from `checkpoint`.
    """

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_name_status", "name", "status"),)
    run_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="running")
    resumed_from: Mapped[str | None] = mapped_column(String(32), index=True)
    checkpoint: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class HealthProblem(Base):
    """A problem the last health check found (and alerted about when it first appeared)."""

    __tablename__ = "health_problems"
    problem: Mapped[str] = mapped_column(String(512), primary_key=True)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)


class WorkerPresence(Base):
    """A live ProkAi process of the cluster (`prokai run` leader or standby, `prokai worker`):
    it upserts its row every few seconds (`prokai.cluster.presence`); a row whose heartbeat is
    older than a few intervals belongs to a process that is gone."""

    __tablename__ = "workers"
    __table_args__ = (UniqueConstraint("node", "pid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node: Mapped[str] = mapped_column(String(128))
    pid: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))  # run-leader / run-standby / worker
    host: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(32))
    doing: Mapped[str] = mapped_column(String(255), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
