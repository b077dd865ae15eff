"""evidence chain: prev_hash no longer a unique index

The link's sequence number is the primary key and every appender takes it from the locked head
row, so two writers can never both extend the same link; the extra unique index on a random
64-character hash made every append a random B-tree insert (measured: the chain's cost on SQLite
grew from 25 % to 54 % of a plain insert between 30,000 and 100,000 messages).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence_chain") as batch:
        batch.drop_constraint("uq_evidence_chain_prev_hash", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("evidence_chain") as batch:
        batch.create_unique_constraint("uq_evidence_chain_prev_hash", ["prev_hash"])
