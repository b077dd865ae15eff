"""evidence: originals, collection contexts; requisites, sightings and shop status changes chained

New tables `originals` (messages and photos exactly as Telegram sent them) and
`collection_contexts` (account, SIM, node, tool version, configuration hash, clock per
collection session). Requisites, sightings and shop status changes become links of the evidence
chain: the rows already stored are appended now, in id order (requisites, then sightings, then
status changes), in this migration's transaction.

Downgrade drops the new tables, removes those links and re-links what remains (an anchor made
since no longer matches).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 01:30:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from prokai.evidence.canonical import content_hash, entry_hash
from prokai.store.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
GENESIS = "0" * 64
BATCH = 2000

_md = sa.MetaData()
_REQUISITES = sa.Table(
    "requisites", _md, sa.Column("id", sa.Integer), sa.Column("kind", sa.String), sa.Column("value", sa.String),
    sa.Column("issuer", sa.String), sa.Column("country", sa.String), sa.Column("network", sa.String),
    sa.Column("first_seen", UTCDateTime()),
)
_SIGHTINGS = sa.Table(
    "sightings", _md, sa.Column("id", sa.Integer), sa.Column("requisite_id", sa.Integer),
    sa.Column("message_id", sa.Integer), sa.Column("shop_id", sa.Integer), sa.Column("conversation_id", sa.Integer),
    sa.Column("seen_at", UTCDateTime()), sa.Column("amount", sa.Numeric(20, 8)), sa.Column("currency", sa.String),
    sa.Column("method", sa.String), sa.Column("span_start", sa.Integer), sa.Column("span_end", sa.Integer),
    sa.Column("details", sa.JSON),
)
_STATUS = sa.Table(
    "shop_status_changes", _md, sa.Column("id", sa.Integer), sa.Column("shop_id", sa.Integer),
    sa.Column("at", UTCDateTime()), sa.Column("status", sa.String), sa.Column("details", sa.JSON),
)
_CHAIN = sa.Table(
    "evidence_chain", _md, sa.Column("seq", sa.BigInteger), sa.Column("record_type", sa.String),
    sa.Column("record_id", sa.BigInteger), sa.Column("record_hash", sa.String), sa.Column("prev_hash", sa.String),
    sa.Column("entry_hash", sa.String),
)
_HEAD = sa.Table("evidence_chain_head", _md, sa.Column("id", sa.Integer), sa.Column("seq", sa.BigInteger),
                 sa.Column("head_hash", sa.String))
NEW_TYPES = (("requisite", _REQUISITES), ("sighting", _SIGHTINGS), ("shop_status", _STATUS))


def _chain_existing(conn: sa.Connection) -> None:
    head = conn.execute(sa.select(_HEAD.c.seq, _HEAD.c.head_hash).where(_HEAD.c.id == 1).with_for_update()).one()
    seq, prev = int(head.seq), head.head_hash
    for rtype, table in NEW_TYPES:
        fields = [str(c.name) for c in table.columns if c.name != "id"]
        last = 0
        while True:
            rows = conn.execute(sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(BATCH)).all()
            if not rows:
                break
            links: list[dict[str, Any]] = []
            for row in rows:
                m = row._mapping
                rhash = content_hash({f: m[f] for f in fields})
                seq += 1
                link = entry_hash(prev, rtype, int(m["id"]), rhash)
                links.append({"seq": seq, "record_type": rtype, "record_id": int(m["id"]), "record_hash": rhash,
                              "prev_hash": prev, "entry_hash": link})
                prev = link
            conn.execute(_CHAIN.insert(), links)
            last = int(rows[-1]._mapping["id"])
    conn.execute(_HEAD.update().where(_HEAD.c.id == 1).values(seq=seq, head_hash=prev))


def upgrade() -> None:
    op.create_table(
        "originals",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("message_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("telegram_date", UTCDateTime(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_originals_message_id_messages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_originals")),
        sa.UniqueConstraint("message_id", "kind", name=op.f("uq_originals_message_id_kind")),
    )
    op.create_index(op.f("ix_originals_message_id"), "originals", ["message_id"])
    op.create_table(
        "collection_contexts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("conversation_id", BIG_ID, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("sim_iccid", sa.String(length=32), nullable=True),
        sa.Column("node", sa.String(length=128), nullable=False),
        sa.Column("tool", sa.String(length=64), nullable=False),
        sa.Column("tool_version", sa.String(length=32), nullable=False),
        sa.Column("config_hash", sa.String(length=64), nullable=True),
        sa.Column("collector_clock", UTCDateTime(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name=op.f("fk_collection_contexts_conversation_id_conversations")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_collection_contexts_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_contexts")),
    )
    op.create_index(op.f("ix_collection_contexts_conversation_id"), "collection_contexts", ["conversation_id"])
    _chain_existing(op.get_bind())


def _relink(conn: sa.Connection) -> None:
    conn.execute(_CHAIN.delete().where(_CHAIN.c.record_type.in_([t for t, _ in NEW_TYPES] + ["original", "context"])))
    rows = conn.execute(sa.select(_CHAIN.c.seq, _CHAIN.c.record_type, _CHAIN.c.record_id, _CHAIN.c.record_hash)
                        .order_by(_CHAIN.c.seq)).all()
    conn.execute(_CHAIN.delete())
    prev, links = GENESIS, []
    for n, row in enumerate(rows, 1):
        link = entry_hash(prev, row.record_type, int(row.record_id), row.record_hash)
        links.append({"seq": n, "record_type": row.record_type, "record_id": int(row.record_id),
                      "record_hash": row.record_hash, "prev_hash": prev, "entry_hash": link})
        prev = link
    if links:
        conn.execute(_CHAIN.insert(), links)
    conn.execute(_HEAD.update().where(_HEAD.c.id == 1).values(seq=len(links), head_hash=prev))


def downgrade() -> None:
    _relink(op.get_bind())
    op.drop_index(op.f("ix_collection_contexts_conversation_id"), table_name="collection_contexts")
    op.drop_table("collection_contexts")
    op.drop_index(op.f("ix_originals_message_id"), table_name="originals")
    op.drop_table("originals")
