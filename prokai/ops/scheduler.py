"""The nightly schedule: APScheduler 3 (AsyncIOScheduler) with its job store in our database.

Jobs (ids are stable, so a restart finds them in the store):

- `nightly-sweep`: the sweep at `scheduler.sweep_time` in `scheduler.timezone` (03:00 Asia/Almaty);
- `archive-refresh`: re-archive the seized accounts at `scheduler.archive_time`;
- `health-check`: modems and accounts every `scheduler.health_interval_min`, alerting the admin chat.

Every job has coalesce=True (missed runs collapse into one), max_instances=1 and
misfire_grace_time=`scheduler.misfire_grace_s`. Catch-up after downtime comes from the persisted
`next_run_time`: on start the scheduler sees that run time in the past and, if it is within the
grace, runs the job once. Jobs already in the store keep their `next_run_time` (re-adding them
with replace_existing would recompute it from now and silently drop the missed run).

APScheduler 3 reads the time with `datetime.now()` in `BaseScheduler._process_jobs` and in the
executor's misfire check. `ProkaiScheduler` takes a `clock` instead, so tests fast-forward to
03:00 Almaty and past a downtime without waiting; production uses the real clock.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from prokai.config import Settings
from prokai.ops.jobs import JobRunner
from prokai.store.db import Database

log = logging.getLogger("prokai.scheduler")

Clock = Callable[[], datetime]
JOB_TABLE = "apscheduler_jobs"
SWEEP_JOB_ID = "nightly-sweep"
ARCHIVE_JOB_ID = "archive-refresh"
HEALTH_JOB_ID = "health-check"

# The runner that scheduled jobs use in this process (jobs in the store are pickled by
# reference, so they find their runner here rather than carrying it).
_ACTIVE_RUNNER: JobRunner | None = None


def set_active_runner(runner: JobRunner | None) -> None:
    """Make `runner` the one that scheduled jobs in this process run on."""
    global _ACTIVE_RUNNER
    _ACTIVE_RUNNER = runner


async def scheduled_job(name: str) -> str:
    """What the job store references: run the named job on the active runner."""
    if _ACTIVE_RUNNER is None:
        log.error("scheduled job %s fired with no runner", name)
        return "unavailable"
    return await _ACTIVE_RUNNER.run_exclusive(name, trigger="schedule")


def real_clock() -> datetime:
    """Now, aware UTC."""
    return datetime.now(UTC)


class ClockedExecutor(AsyncIOExecutor):
    """AsyncIOExecutor whose misfire check reads the scheduler's clock."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self._clock = clock

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        def callback(f: asyncio.Future[list[JobExecutionEvent]]) -> None:
            self._pending_futures.discard(f)
            try:
                events = f.result()
            except BaseException:
                self._run_job_error(job.id, *sys.exc_info()[1:])
            else:
                self._run_job_success(job.id, events)

        f = self._eventloop.create_task(self._run(job, run_times))
        f.add_done_callback(callback)
        self._pending_futures.add(f)

    async def _run(self, job: Job, run_times: list[datetime]) -> list[JobExecutionEvent]:
        events = []
        alias = job._jobstore_alias
        for run_time in run_times:
            late = self._clock() - run_time
            if job.misfire_grace_time is not None and late > timedelta(seconds=job.misfire_grace_time):
                events.append(JobExecutionEvent(EVENT_JOB_MISSED, job.id, alias, run_time))
                log.warning("job %s missed its %s run by %s", job.id, run_time.isoformat(), late)
                continue
            log.info("running job %s (scheduled at %s)", job.id, run_time.isoformat())
            try:
                retval = await job.func(*job.args, **job.kwargs)
            except Exception as exc:
                events.append(JobExecutionEvent(EVENT_JOB_ERROR, job.id, alias, run_time, exception=exc))
                log.exception("job %s raised", job.id)
            else:
                events.append(JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, alias, run_time, retval=retval))
        return events


class ProkaiScheduler(AsyncIOScheduler):
    """AsyncIOScheduler reading time from `clock` (APScheduler's own loop, otherwise unchanged)."""

    def __init__(self, clock: Clock = real_clock, **options: Any) -> None:
        self._clock = clock
        super().__init__(**options)

    def now(self) -> datetime:
        """The scheduler's time, in its time zone."""
        return self._clock().astimezone(self.timezone)

    def tick(self) -> float | None:
        """Process due jobs now (as the timer would) and re-arm the timer; seconds to the next run."""
        wait = self._process_jobs()
        self._start_timer(wait)
        return wait

    async def settle(self) -> None:
        """Wait until every job run submitted so far has finished."""
        executor = self._executors.get("default")
        futures = list(getattr(executor, "_pending_futures", ()))
        if futures:
            await asyncio.gather(*futures, return_exceptions=True)

    def _process_jobs(self) -> float | None:
        # BaseScheduler._process_jobs (APScheduler 3.11) with `now` from the clock.
        if self.state == STATE_PAUSED:
            return None
        now = self.now()
        next_wakeup: datetime | None = None
        with self._jobstores_lock:
            for alias, store in self._jobstores.items():
                try:
                    due = store.get_due_jobs(now)
                except Exception as exc:
                    log.warning("job store %s unreadable: %s", alias, exc)
                    retry = now + timedelta(seconds=self.jobstore_retry_interval)
                    next_wakeup = retry if next_wakeup is None else min(next_wakeup, retry)
                    continue
                for job in due:
                    self._submit_due(job, alias, store, now)
                store_next = store.get_next_run_time()
                if store_next and (next_wakeup is None or store_next < next_wakeup):
                    next_wakeup = store_next.astimezone(self.timezone)
        if self.state == STATE_PAUSED or next_wakeup is None:
            return None
        return max(next_wakeup.timestamp() - self.now().timestamp(), 0.0)

    def _submit_due(self, job: Job, alias: str, store: Any, now: datetime) -> None:
        from apscheduler.executors.base import MaxInstancesReachedError

        executor = self._lookup_executor(job.executor)
        run_times = job._get_run_times(now)
        run_times = run_times[-1:] if run_times and job.coalesce else run_times
        if not run_times:
            return
        try:
            executor.submit_job(job, run_times)
        except MaxInstancesReachedError:
            log.warning("job %s skipped: %d instance(s) already running", job.id, job.max_instances)
        next_run = job.trigger.get_next_fire_time(run_times[-1], now)
        if next_run:
            job._modify(next_run_time=next_run)
            store.update_job(job)
        else:
            self.remove_job(job.id, alias)


def sweep_trigger(settings: Settings) -> CronTrigger:
    """03:00 (or `scheduler.sweep_time`) every day in `scheduler.timezone`."""
    hour, minute = (int(x) for x in settings.scheduler.sweep_time.split(":"))
    return CronTrigger(hour=hour, minute=minute, timezone=ZoneInfo(settings.scheduler.timezone))


def archive_trigger(settings: Settings) -> CronTrigger:
    """`scheduler.archive_time` every day in `scheduler.timezone`."""
    hour, minute = (int(x) for x in (settings.scheduler.archive_time or "05:00").split(":"))
    return CronTrigger(hour=hour, minute=minute, timezone=ZoneInfo(settings.scheduler.timezone))


def build_scheduler(settings: Settings, db: Database, clock: Clock = real_clock) -> ProkaiScheduler:
    """A scheduler with the persistent job store in `db` (not started)."""
    return ProkaiScheduler(
        clock=clock,
        jobstores={"default": SQLAlchemyJobStore(engine=db.engine, tablename=JOB_TABLE)},
        executors={"default": ClockedExecutor(clock)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.scheduler.misfire_grace_s,
        },
        timezone=ZoneInfo(settings.scheduler.timezone),
    )


def ensure_job(scheduler: ProkaiScheduler, job_id: str, name: str, trigger: CronTrigger | IntervalTrigger, grace: int) -> Job:
    """Add the job, or keep the stored one (and its pending run time) if its trigger is unchanged."""
    existing = scheduler.get_job(job_id)
    if existing is not None and str(existing.trigger) == str(trigger):
        if existing.misfire_grace_time != grace or not existing.coalesce or existing.max_instances != 1:
            existing.modify(misfire_grace_time=grace, coalesce=True, max_instances=1)
        return existing
    next_run = trigger.get_next_fire_time(None, scheduler.now())
    if existing is not None:
        log.info("job %s: trigger changed from %s to %s", job_id, existing.trigger, trigger)
        existing.modify(trigger=trigger, next_run_time=next_run, misfire_grace_time=grace)
        return existing
    return scheduler.add_job(
        scheduled_job,
        trigger,
        args=[name],
        id=job_id,
        name=name,
        next_run_time=next_run,
        misfire_grace_time=grace,
        coalesce=True,
        max_instances=1,
    )


def start_scheduler(scheduler: ProkaiScheduler, settings: Settings, runner: JobRunner) -> None:
    """Start (inside the event loop), register the jobs, then process due jobs (catch-up)."""
    set_active_runner(runner)
    scheduler.start(paused=True)
    grace = settings.scheduler.misfire_grace_s
    ensure_job(scheduler, SWEEP_JOB_ID, "sweep", sweep_trigger(settings), grace)
    if settings.scheduler.archive_time:
        ensure_job(scheduler, ARCHIVE_JOB_ID, "archive", archive_trigger(settings), grace)
    elif scheduler.get_job(ARCHIVE_JOB_ID) is not None:
        scheduler.remove_job(ARCHIVE_JOB_ID)
    if settings.scheduler.health_interval_min > 0:
        interval = IntervalTrigger(minutes=settings.scheduler.health_interval_min, timezone=ZoneInfo(settings.scheduler.timezone))
        ensure_job(scheduler, HEALTH_JOB_ID, "health", interval, grace)
    elif scheduler.get_job(HEALTH_JOB_ID) is not None:
        scheduler.remove_job(HEALTH_JOB_ID)
    scheduler.resume()


def stop_scheduler(scheduler: ProkaiScheduler) -> None:
    """Stop firing jobs (running ones are stopped by the runner first)."""
    if scheduler.running:
        scheduler.shutdown(wait=False)
    set_active_runner(None)
