"""the network: watermarks, holders' names, links between shops, shop families

Tables derived from the evidence by `prokai.network` (never evidence themselves): how far the
store was read (`network_state`), holders' names as shops wrote them (`network_holders`), shops
naming other peers (`network_links`), and shop families with their stable ids
(`shop_families`, `shop_family_members`). New tables only; existing data is read by the next
`prokai network update`, nothing is moved.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "network_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_network_state")),
    )
    op.create_table(
        "shop_families",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("founder_shop_id", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("merged_into", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["founder_shop_id"], ["shops.id"], name=op.f("fk_shop_families_founder_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_families")),
    )
    op.create_table(
        "shop_family_members",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.String(length=16), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"], ["shop_families.id"], name=op.f("fk_shop_family_members_family_id_shop_families")
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_shop_family_members_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_shop_family_members")),
    )
    with op.batch_alter_table("shop_family_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_family_members_family_id"), ["family_id"], unique=False)

    op.create_table(
        "network_links",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("first_message_id", BIG_ID, nullable=True),
        sa.Column("context", sa.String(length=256), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_message_id"], ["messages.id"], name=op.f("fk_network_links_first_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_network_links_shop_id_shops"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_links")),
        sa.UniqueConstraint("shop_id", "target", "kind", name=op.f("uq_network_links_shop_id_target_kind")),
    )
    with op.batch_alter_table("network_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_links_shop_id"), ["shop_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_network_links_target"), ["target"], unique=False)

    op.create_table(
        "network_holders",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("sighting_id", BIG_ID, nullable=False),
        sa.Column("requisite_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("name_key", sa.String(length=128), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["requisite_id"], ["requisites.id"], name=op.f("fk_network_holders_requisite_id_requisites"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_network_holders_shop_id_shops"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["sighting_id"], ["sightings.id"], name=op.f("fk_network_holders_sighting_id_sightings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_holders")),
        sa.UniqueConstraint("sighting_id", name=op.f("uq_network_holders_sighting_id")),
    )
    with op.batch_alter_table("network_holders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_holders_name_key"), ["name_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_network_holders_requisite_id"), ["requisite_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("network_holders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_holders_requisite_id"))
        batch_op.drop_index(batch_op.f("ix_network_holders_name_key"))
    op.drop_table("network_holders")
    with op.batch_alter_table("network_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_links_target"))
        batch_op.drop_index(batch_op.f("ix_network_links_shop_id"))
    op.drop_table("network_links")
    with op.batch_alter_table("shop_family_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_family_members_family_id"))
    op.drop_table("shop_family_members")
    op.drop_table("shop_families")
    op.drop_table("network_state")
