"""scheduler job references follow the package split

The daemon's machinery moved (issue 17: `prokai.review.scheduler` → `prokai.ops.scheduler`).
APScheduler keeps each stored job's callable as a textual reference inside the pickled job
state of `apscheduler_jobs` (a table APScheduler makes itself, absent until the first `prokai
run`); a stored job naming the old module could not be restored and would lose its pending run
time. This rewrites those references in place; downgrade writes the old ones back.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

import pickle

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLE = "apscheduler_jobs"
MOVED = {"prokai.review.scheduler:": "prokai.ops.scheduler:"}


def _rewrite(moves: dict[str, str]) -> None:
    conn = op.get_bind()
    if not sa.inspect(conn).has_table(TABLE):
        return
    jobs = sa.table(TABLE, sa.column("id", sa.String), sa.column("job_state", sa.LargeBinary))
    for job_id, blob in conn.execute(sa.select(jobs.c.id, jobs.c.job_state)).all():
        # APScheduler's own format (SQLAlchemyJobStore pickles Job.__getstate__); written by
        # this installation's scheduler, not by outside input.
        state = pickle.loads(blob)  # noqa: S301
        ref = str(state.get("func", ""))
        for old, new in moves.items():
            if ref.startswith(old):
                state["func"] = new + ref[len(old):]
                conn.execute(jobs.update().where(jobs.c.id == job_id)
                             .values(job_state=pickle.dumps(state, pickle.HIGHEST_PROTOCOL)))
                break


def upgrade() -> None:
    _rewrite(MOVED)


def downgrade() -> None:
    _rewrite({new: old for old, new in MOVED.items()})
