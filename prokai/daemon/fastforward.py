"""Nightly sweeps on a fast-forwarded clock, through the real scheduler (for `make demo` and tests).

    nights = await run_nights(settings, db, registry, nights=2)

starts the scheduler with its job store in `db` on a `ManualClock`, jumps the clock to each
night's sweep time (03:00 Asia/Almaty by default) plus a second, lets APScheduler fire the job
and waits for the sweep to end. Nothing waits for real hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from prokai.config import Settings
from prokai.ops.jobs import JobRegistry, JobRunner
from prokai.ops.scheduler import SWEEP_JOB_ID, build_scheduler, start_scheduler, stop_scheduler
from prokai.store.db import Database


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, value: datetime) -> None:
        """Jump to `value` (aware)."""
        self.now = value

    def advance(self, delta: timedelta) -> None:
        """Move forward by `delta`."""
        self.now = self.now + delta


@dataclass(frozen=True)
class NightRun:
    """One fast-forwarded night: the scheduled time and what the sweep job reported."""

    scheduled_at: datetime
    results: tuple[str, ...]


async def run_nights(
    settings: Settings, db: Database, registry: JobRegistry, nights: int = 2, start: datetime | None = None
) -> list[NightRun]:
    """Fire the nightly sweep `nights` times on a fast-forwarded clock; returns each night's results.

    `start` defaults to 01:00 today in `scheduler.timezone`. Only the sweep is scheduled (archive
    refresh and health checks are left out of the fast-forward).
    """
    st = settings.model_copy(deep=True)
    st.scheduler.archive_time = None
    st.scheduler.health_interval_min = 0
    tz = ZoneInfo(st.scheduler.timezone)
    clock = ManualClock(start or datetime.now(tz).replace(hour=1, minute=0, second=0, microsecond=0))
    results: list[tuple[str, str]] = []
    runner = JobRunner(registry, st, db, on_result=lambda name, result: results.append((name, result)), clock=clock)
    scheduler = build_scheduler(st, db, clock=clock)
    start_scheduler(scheduler, st, runner)
    out: list[NightRun] = []
    try:
        for _ in range(nights):
            job = scheduler.get_job(SWEEP_JOB_ID)
            assert job is not None and job.next_run_time is not None
            at = job.next_run_time
            clock.set(max(clock.now, at + timedelta(seconds=1)))
            before = len(results)
            scheduler.tick()
            await scheduler.settle()
            out.append(NightRun(at, tuple(r for n, r in results[before:] if n == "sweep")))
    finally:
        stop_scheduler(scheduler)
    return out
