"""seed the evidence chain head

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    head = sa.table(
        "evidence_chain_head",
        sa.column("id", sa.Integer),
        sa.column("seq", sa.BigInteger),
        sa.column("head_hash", sa.String),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "head_hash": GENESIS}])


def downgrade() -> None:
    op.execute("DELETE FROM evidence_chain_head WHERE id = 1")
