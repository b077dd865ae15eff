"""Named jobs (sweep, archive refresh, health check) and the runner that executes them.

A job is an async (or plain) callable taking a `JobContext`. Jobs are registered by name:

    registry = JobRegistry()
    registry.register("sweep", my_sweep)          # tests: a small function writing to the DB
    registry.register_path("sweep", "prokai.crawl.sweep:run_sweep")   # the real one, lazily

A dotted path is imported only when the job runs; a callable that takes `(settings, db)` instead
of a context is called that way (the crawler's `run_sweep(settings, db)`), with `stop=` when it
accepts one. The `JobRunner` runs at most one instance per name, keeps every run in `job_runs`
(status, checkpoint, result) and audits it as actions (`job.started`, `job.checkpoint`,
`job.finished` / `job.interrupted` / `job.failed`, all with a `run_id`); on start-up it finds the
runs that were started but never finished (the process was killed or stopped mid-run) in
`job_runs` so the service can resume them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select, text, update
from sqlalchemy.orm import aliased

from prokai.config import Settings
from prokai.store.audit import audit
from prokai.store.db import Database
from prokai.store.models import JobRun
from prokai.store.types import utcnow

log = logging.getLogger("prokai.jobs")

JobFn = Callable[["JobContext"], Any]
TriggerResult = Literal["started", "running", "unavailable"]
UNFINISHED = ("running", "interrupted")  # job_runs.status of a run the next start resumes


class JobUnavailable(RuntimeError):
    """The job's code is not installed (e.g. the crawler is not built yet)."""


@dataclass
class JobContext:
    """What a running job gets: settings, database, a stop signal, checkpoints and alerts.

    A job should check `stopping` between units of work and return (after finishing or
    checkpointing the current unit) when it is set. `resumed_from` is the run id of an
    interrupted run this run continues, and `checkpoint_state` its last checkpoint.
    """

    name: str
    run_id: str
    settings: Settings
    db: Database
    stop: asyncio.Event
    trigger: str = "schedule"
    resumed_from: str | None = None
    checkpoint_state: dict[str, Any] = field(default_factory=dict)
    alert: Callable[[str], Awaitable[None]] | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        """The scheduler's time (fast-forwarded in tests and the demo), aware."""
        return self.clock()

    @property
    def stopping(self) -> bool:
        """True once the service is shutting down."""
        return self.stop.is_set()

    def checkpoint(self, **state: Any) -> None:
        """Record progress (audited); a resumed run gets the latest as `checkpoint_state`."""
        with self.db.session() as s:
            s.execute(update(JobRun).where(JobRun.run_id == self.run_id).values(checkpoint=dict(state)))
            audit(s, "scheduler", "job.checkpoint", "job", self.name, run_id=self.run_id, **state)
        self.checkpoint_state = dict(state)

    async def send_alert(self, text: str) -> None:
        """Alert the admin chat (logged only when the bot is not running)."""
        log.warning("alert: %s", text)
        if self.alert is not None:
            await self.alert(text)


class JobRegistry:
    """Job callables by name; dotted paths resolve lazily when the job runs."""

    def __init__(self) -> None:
        self._fns: dict[str, JobFn | str] = {}

    def register(self, name: str, fn: JobFn) -> None:
        """Register (or replace) a callable for `name`."""
        self._fns[name] = fn

    def register_path(self, name: str, path: str) -> None:
        """Register `module:function` for `name`, imported only when needed."""
        if ":" not in path:
            raise ValueError(f"job {name}: expected 'module:function', got {path!r}")
        self._fns[name] = path

    def names(self) -> list[str]:
        """Registered job names."""
        return list(self._fns)

    def available(self, name: str) -> bool:
        """Whether the job is registered and its code importable."""
        try:
            self.resolve(name)
        except JobUnavailable:
            return False
        return True

    def resolve(self, name: str) -> Callable[..., Any]:
        """The callable for `name`; JobUnavailable if unregistered or not importable."""
        target = self._fns.get(name)
        if target is None:
            raise JobUnavailable(f"no job named {name!r}")
        if not isinstance(target, str):
            return target
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                raise JobUnavailable(f"job {name}: {module_name} is not installed") from None
            raise
        fn = getattr(module, attr, None)
        if not callable(fn):
            raise JobUnavailable(f"job {name}: {target} is not a function")
        return fn


async def call_job(fn: Callable[..., Any], ctx: JobContext) -> Any:
    """Call a job with a context, or as `fn(settings, db[, stop=…])`; await it if async."""
    params = list(inspect.signature(fn).parameters)
    if len(params) >= 2 and params[0] == "settings":
        kwargs: dict[str, Any] = {"stop": ctx.stop} if "stop" in params else {}
        if inspect.iscoroutinefunction(fn):
            return await fn(ctx.settings, ctx.db, **kwargs)
        return await asyncio.to_thread(fn, ctx.settings, ctx.db, **kwargs)
    if inspect.iscoroutinefunction(fn):
        return await fn(ctx)
    return await asyncio.to_thread(fn, ctx)


@dataclass(frozen=True)
class UnfinishedRun:
    """A run that was started and never finished: to be resumed."""

    name: str
    run_id: str
    checkpoint: dict[str, Any]


def unfinished_runs(db: Database) -> list[UnfinishedRun]:
    """Runs still `running` or `interrupted` that no later run resumed, oldest first."""
    later = aliased(JobRun)
    resumed = select(later.run_id).where(later.resumed_from == JobRun.run_id)
    with db.session() as s:
        rows = s.execute(
            select(JobRun.name, JobRun.run_id, JobRun.checkpoint)
            .where(JobRun.status.in_(UNFINISHED), ~resumed.exists())
            .order_by(JobRun.started_at, JobRun.run_id)
        ).all()
    return [UnfinishedRun(name, run_id, dict(checkpoint or {})) for name, run_id, checkpoint in rows]


@contextlib.contextmanager
def job_lock(db: Database, name: str) -> Iterator[bool]:
    """Hold a lock on job `name` across processes; yields False if another process holds it.

    PostgreSQL: a session advisory lock on a dedicated connection. SQLite: an exclusive `flock`
    on `<database file>.job-<name>.lock` (one host, like the database itself).
    """
    if db.dialect == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"prokai-job:{name}".encode()).digest()[:8], "big", signed=True)
        with db.engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
        return
    database = db.engine.url.database
    if db.dialect != "sqlite" or not database or database == ":memory:":
        yield True
        return
    import fcntl

    path = Path(f"{database}.job-{name}.lock")
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class JobRunner:
    """Runs registered jobs, one instance per name (in this process and, through `job_lock`,
    across processes sharing the database), audited; stops them gracefully."""

    def __init__(
        self,
        registry: JobRegistry,
        settings: Settings,
        db: Database,
        alert: Callable[[str], Awaitable[None]] | None = None,
        on_result: Callable[[str, str], None] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.registry = registry
        self.settings = settings
        self.db = db
        self.alert = alert
        self.on_result = on_result
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.stop_event = asyncio.Event()
        self.tasks: dict[str, asyncio.Task[str]] = {}

    def is_running(self, name: str) -> bool:
        """Whether a run of `name` is in progress."""
        task = self.tasks.get(name)
        return task is not None and not task.done()

    async def run(
        self, name: str, *, trigger: str = "schedule", actor: str = "scheduler", resume: UnfinishedRun | None = None
    ) -> str:
        """Run `name` now and wait for it; returns finished / interrupted / failed / running / unavailable."""
        if self.is_running(name) and self.tasks[name] is not asyncio.current_task():
            return "running"
        if self.stop_event.is_set():
            return "interrupted"
        with job_lock(self.db, name) as mine:
            if not mine:
                log.warning("job %s is running in another process; not starting it here", name)
                with self.db.session() as s:
                    audit(s, actor, "job.skipped", "job", name, trigger=trigger, reason="running elsewhere")
                return "running"
            return await self._run_locked(name, trigger, actor, resume)

    async def _run_locked(self, name: str, trigger: str, actor: str, resume: UnfinishedRun | None) -> str:
        try:
            fn = self.registry.resolve(name)
        except JobUnavailable as exc:
            log.warning("%s", exc)
            with self.db.session() as s:
                audit(s, actor, "job.unavailable", "job", name, trigger=trigger, reason=str(exc))
            return "unavailable"
        run_id = uuid.uuid4().hex
        ctx = JobContext(
            name, run_id, self.settings, self.db, self.stop_event, trigger,
            resumed_from=resume.run_id if resume else None,
            checkpoint_state=dict(resume.checkpoint) if resume else {},
            alert=self.alert,
            clock=self.clock,
        )
        with self.db.session() as s:
            s.add(JobRun(run_id=run_id, name=name, trigger=trigger, actor=actor, status="running",
                         resumed_from=resume.run_id if resume else None,
                         checkpoint=dict(resume.checkpoint) if resume else {}))
            audit(s, actor, "job.started", "job", name, run_id=run_id, trigger=trigger)
            if resume:
                audit(s, actor, "job.resumed", "job", name, run_id=run_id, resumed_from=resume.run_id)
                if resume.checkpoint:
                    audit(s, actor, "job.checkpoint", "job", name, run_id=run_id, **resume.checkpoint)
        log.info("job %s started (%s, run %s)", name, trigger, run_id)
        try:
            result = await call_job(fn, ctx)
        except asyncio.CancelledError:
            self._record(name, run_id, "job.interrupted", reason="cancelled")
            raise
        except JobUnavailable as exc:
            log.warning("%s", exc)
            self._record(name, run_id, "job.failed", error=str(exc), unavailable=True)
            return "unavailable"
        except Exception as exc:
            log.exception("job %s failed", name)
            self._record(name, run_id, "job.failed", error=f"{type(exc).__name__}: {exc}")
            return "failed"
        if self.stop_event.is_set() and not (isinstance(result, dict) and result.get("complete")):
            # Stopped mid-run: leave it unfinished so the next start resumes it.
            self._record(name, run_id, "job.interrupted")
            return "interrupted"
        details = result if isinstance(result, dict) else {}
        self._record(name, run_id, "job.finished", **{k: v for k, v in details.items() if k != "run_id"})
        return "finished"

    def _record(self, name: str, run_id: str, action: str, **details: Any) -> None:
        status = "unavailable" if details.get("unavailable") else action.removeprefix("job.")
        with self.db.session() as s:
            s.execute(update(JobRun).where(JobRun.run_id == run_id)
                      .values(status=status, result=dict(details), ended_at=utcnow()))
            audit(s, "scheduler", action, "job", name, run_id=run_id, **details)
        log.info("job %s: %s", name, action.removeprefix("job."))
        if self.on_result is not None:
            self.on_result(name, action.removeprefix("job."))

    def start(self, name: str, *, trigger: str = "manual", actor: str = "scheduler", resume: UnfinishedRun | None = None) -> TriggerResult:
        """Start `name` in the background unless it is running or unavailable."""
        if self.is_running(name):
            return "running"
        if not self.registry.available(name):
            return "unavailable"
        task = asyncio.get_running_loop().create_task(
            self.run(name, trigger=trigger, actor=actor, resume=resume), name=f"job:{name}"
        )
        self.tasks[name] = task
        return "started"

    async def run_exclusive(self, name: str, *, trigger: str = "schedule") -> str:
        """Run `name` as the tracked instance (what the scheduler calls); waits for the end."""
        if self.is_running(name):
            log.warning("job %s still running; skipping this run", name)
            return "running"
        task = asyncio.get_running_loop().create_task(self.run(name, trigger=trigger), name=f"job:{name}")
        self.tasks[name] = task
        return await asyncio.shield(task)

    def resume_unfinished(self) -> list[UnfinishedRun]:
        """Start every interrupted run again (each resumed run links to the one it continues)."""
        pending = [r for r in unfinished_runs(self.db) if r.name in self.registry.names()]
        for run in pending:
            log.info("resuming job %s (interrupted run %s)", run.name, run.run_id)
            self.start(run.name, trigger="resume", resume=run)
        return pending

    async def stop(self, timeout: float = 60.0) -> None:
        """Ask running jobs to stop at the next unit boundary and wait (cancel after `timeout`)."""
        self.stop_event.set()
        running = [t for t in self.tasks.values() if not t.done()]
        if not running:
            return
        done, pending = await asyncio.wait(running, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
