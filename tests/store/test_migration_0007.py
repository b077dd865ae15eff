"""Migration 0007: stored scheduler jobs follow the package split (`prokai.review.scheduler` →
`prokai.ops.scheduler`) and keep their pending run time; downgrade writes the old reference back.
On both databases."""

from __future__ import annotations

import asyncio
import pickle

import sqlalchemy as sa

from prokai.config import Settings
from prokai.ops.scheduler import JOB_TABLE, SWEEP_JOB_ID, build_scheduler, ensure_job, sweep_trigger
from prokai.store.db import Database
from prokai.store.migrate import downgrade, upgrade


def _refs(db: Database) -> dict[str, str]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT id, job_state FROM {JOB_TABLE}")).all()
    return {job_id: pickle.loads(blob)["func"] for job_id, blob in rows}


def test_0007_moves_stored_job_references(db_url: str) -> None:
    upgrade(db_url)
    db = Database(db_url)
    settings = Settings()

    async def store_job() -> object:
        scheduler = build_scheduler(settings, db)
        scheduler.start(paused=True)
        job = ensure_job(scheduler, SWEEP_JOB_ID, "sweep", sweep_trigger(settings), 60)
        next_run = job.next_run_time
        scheduler.shutdown(wait=False)
        return next_run

    next_run = asyncio.run(store_job())
    assert _refs(db) == {SWEEP_JOB_ID: "prokai.ops.scheduler:scheduled_job"}

    downgrade(db_url, "0006")  # the database as the code before the split left it
    assert _refs(db) == {SWEEP_JOB_ID: "prokai.review.scheduler:scheduled_job"}

    upgrade(db_url)
    assert _refs(db) == {SWEEP_JOB_ID: "prokai.ops.scheduler:scheduled_job"}

    async def reload() -> object:
        scheduler = build_scheduler(settings, db)
        scheduler.start(paused=True)
        job = scheduler.get_job(SWEEP_JOB_ID)
        scheduler.shutdown(wait=False)
        return job.next_run_time if job is not None else None

    assert asyncio.run(reload()) == next_run
    db.dispose()
