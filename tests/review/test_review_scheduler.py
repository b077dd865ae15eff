"""The nightly schedule with a fast-forwarded clock: fires at 03:00 Asia/Almaty once, catches up
after a downtime within the misfire grace, skips one beyond it; the job store is in the database."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from reviewkit import make_settings
from sqlalchemy import inspect, select

from prokai.ops.jobs import JobContext, JobRegistry, JobRunner
from prokai.ops.scheduler import (
    SWEEP_JOB_ID,
    ProkaiScheduler,
    build_scheduler,
    start_scheduler,
    stop_scheduler,
)
from prokai.store.audit import audit
from prokai.store.db import Database
from prokai.store.models import AuditRecord

pytestmark = pytest.mark.timeout(60)
ALMATY = ZoneInfo("Asia/Almaty")


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, value: datetime) -> None:
        self.now = value


async def sweep_unit(ctx: JobContext) -> dict[str, str]:
    """The test sweep: one audited unit per run, stamped with the clock's time."""
    with ctx.db.session() as s:
        audit(s, "test-sweep", "test.sweep_unit", "job", ctx.run_id, trigger=ctx.trigger, at=ctx.now().isoformat())
    return {"ok": "yes"}


def units(db: Database) -> int:
    with db.session() as s:
        return len(list(s.scalars(select(AuditRecord).where(AuditRecord.action == "test.sweep_unit"))))


async def started(db: Database, clock: FakeClock, tmp_path: Path) -> tuple[ProkaiScheduler, JobRunner]:
    settings = make_settings(tmp_path)
    registry = JobRegistry()
    registry.register("sweep", sweep_unit)
    runner = JobRunner(registry, settings, db)
    scheduler = build_scheduler(settings, db, clock=clock)
    start_scheduler(scheduler, settings, runner)
    await asyncio.sleep(0)
    scheduler.tick()
    await scheduler.settle()
    return scheduler, runner


def at(day: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(2026, 3, day, hh, mm, ss, tzinfo=ALMATY)


def test_nightly_sweep_fires_once_and_catches_up(db: Database, tmp_path: Path) -> None:
    clock = FakeClock(at(1, 1, 0))

    async def scenario() -> None:
        scheduler, _ = await started(db, clock, tmp_path)
        job = scheduler.get_job(SWEEP_JOB_ID)
        assert job is not None and job.next_run_time == at(1, 3, 0)
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 3600)

        clock.set(at(1, 2, 59))
        scheduler.tick()
        await scheduler.settle()
        assert units(db) == 0

        clock.set(at(1, 3, 0) + timedelta(seconds=2))
        scheduler.tick()
        await scheduler.settle()
        assert units(db) == 1
        scheduler.tick()  # the same moment again: nothing new is due
        await scheduler.settle()
        assert units(db) == 1
        assert scheduler.get_job(SWEEP_JOB_ID).next_run_time == at(2, 3, 0)  # type: ignore[union-attr]
        stop_scheduler(scheduler)

        # Down from 1 March until 4 March 03:20: three runs missed, the last within the grace.
        clock.set(at(4, 3, 20))
        scheduler, _ = await started(db, clock, tmp_path)
        assert units(db) == 2  # coalesced: one catch-up run, not three
        assert scheduler.get_job(SWEEP_JOB_ID).next_run_time == at(5, 3, 0)  # type: ignore[union-attr]
        stop_scheduler(scheduler)

        # Down until 6 March 05:30: the 03:00 run is 2.5 h late, beyond the 1 h grace: skipped.
        clock.set(at(6, 5, 30))
        scheduler, _ = await started(db, clock, tmp_path)
        assert units(db) == 2
        assert scheduler.get_job(SWEEP_JOB_ID).next_run_time == at(7, 3, 0)  # type: ignore[union-attr]
        stop_scheduler(scheduler)

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert "apscheduler_jobs" in inspect(db.engine).get_table_names()
    with db.session() as s:
        triggers = [r.details["trigger"] for r in s.scalars(select(AuditRecord).where(AuditRecord.action == "test.sweep_unit"))]
    assert triggers == ["schedule", "schedule"]


def test_sweep_time_change_reschedules_and_runs_are_exclusive(db: Database, tmp_path: Path) -> None:
    clock = FakeClock(at(1, 1, 0))
    gate = asyncio.Event()

    async def slow(ctx: JobContext) -> None:
        await gate.wait()

    async def scenario() -> None:
        scheduler, runner = await started(db, clock, tmp_path)
        stop_scheduler(scheduler)
        settings = make_settings(tmp_path, sweep_time="02:30")
        scheduler = build_scheduler(settings, db, clock=clock)
        start_scheduler(scheduler, settings, runner)
        assert scheduler.get_job(SWEEP_JOB_ID).next_run_time == at(1, 2, 30)  # type: ignore[union-attr]
        runner.registry.register("sweep", slow)
        first = asyncio.create_task(runner.run_exclusive("sweep"))
        await asyncio.sleep(0)
        assert await runner.run_exclusive("sweep") == "running"
        assert runner.start("sweep") == "running"
        gate.set()
        assert await first == "finished"
        stop_scheduler(scheduler)

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_run_nights_fast_forwards_two_sweeps(db: Database, tmp_path: Path) -> None:
    from prokai.daemon.fastforward import run_nights

    registry = JobRegistry()
    registry.register("sweep", sweep_unit)
    nights = asyncio.run(
        asyncio.wait_for(run_nights(make_settings(tmp_path), db, registry, nights=2, start=at(10, 1, 0)), 30)
    )
    assert [(n.scheduled_at, n.results) for n in nights] == [(at(10, 3, 0), ("finished",)), (at(11, 3, 0), ("finished",))]
    with db.session() as s:
        stamps = [r.details["at"] for r in s.scalars(select(AuditRecord).where(AuditRecord.action == "test.sweep_unit"))]
    assert [datetime.fromisoformat(x) for x in stamps] == [at(10, 3, 0, 1), at(11, 3, 0, 1)]  # the jobs saw the fast-forwarded time


def test_default_sweep_runs_the_crawlers_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default sweep job drives the crawler's real run_sweep (no campaigns yet: nothing to ask)."""
    from prokai.accounts.vault import new_key_text
    from prokai.daemon.service import default_registry
    from prokai.store.migrate import upgrade

    url = f"sqlite:///{tmp_path}/prokai.db"
    upgrade(url)
    db = Database(url)
    monkeypatch.setenv("PROKAI_VAULT_KEY", new_key_text())
    settings = make_settings(tmp_path, sweep_model="keywords")
    runner = JobRunner(default_registry(settings), settings, db)
    assert asyncio.run(asyncio.wait_for(runner.run("sweep"), 30)) == "finished"
    with db.session() as s:
        done = s.scalars(select(AuditRecord).where(AuditRecord.action == "job.finished")).one()
    assert done.details["shops"] == 0 and done.details["key"] and done.details["complete"] is True
    assert asyncio.run(asyncio.wait_for(runner.run("archive"), 30)) == "finished"  # no seized accounts yet
    db.dispose()


def test_one_sweep_at_a_time_across_runners_sharing_the_database(db: Database, tmp_path: Path) -> None:
    """Two runners (as two `prokai run` processes would have): the second sees the lock and skips."""
    settings = make_settings(tmp_path)
    gate = asyncio.Event()
    entered = asyncio.Event()

    async def slow(ctx: JobContext) -> dict[str, bool]:
        entered.set()
        await gate.wait()
        return {"complete": True}

    async def scenario() -> None:
        registry = JobRegistry()
        registry.register("sweep", slow)
        one, two = JobRunner(registry, settings, db), JobRunner(registry, settings, db)
        first = asyncio.create_task(one.run("sweep"))
        await entered.wait()
        assert await two.run("sweep") == "running"
        gate.set()
        assert await first == "finished"
        assert await two.run("sweep") == "finished"  # free again

    asyncio.run(asyncio.wait_for(scenario(), 30))
    with db.session() as s:
        skipped = list(s.scalars(select(AuditRecord).where(AuditRecord.action == "job.skipped")))
    assert len(skipped) == 1 and skipped[0].details["reason"] == "running elsewhere"
