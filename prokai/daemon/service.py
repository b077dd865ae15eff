"""`prokai run`: one asyncio process with the scheduler, the admin bot and the workers.

Any number of nodes may run it on one database: one leads (`prokai.cluster.leader`: a lock in
PostgreSQL, a file lock next to a SQLite database) and runs the scheduler, the job runner and
the admin bot; the others stand by and take over the moment the leader dies, stops or loses its
database connection (then it steps down: scheduler and bot stop, and it stands by). Every node
serves its metrics, keeps its row in the workers table (`prokai workers`) and runs its workers.

Start-up: metrics endpoint → workers table → workers (any registered: `register_worker("crawl",
fn)` or `Service(workers=…)`; a worker is `async def fn(settings, db, stop: asyncio.Event)`) →
leadership; as leader: job runner → scheduler (catch-up of missed runs) → admin bot (polling)
and its notifier → resume of runs that a previous leader left unfinished.

Shutdown on SIGTERM/SIGINT (or `stop.set()`): the scheduler stops firing, running jobs are asked
to stop at the next unit boundary and awaited (`scheduler.shutdown_timeout_s`, then cancelled:
an interrupted run is resumed by the next leader), polling stops, the lock is given up (a
standby leads within `cluster.leader_retry_s`), workers stop, the database is closed. Start,
stop and leadership are audited (`service.started`, `cluster.leader`, `cluster.stepped_down`,
`service.stopped`)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from prokai.cluster.leader import Leadership, leader_lock
from prokai.cluster.presence import Presence, WorkerCollector, demote_other_leaders, first_line
from prokai.config import Settings
from prokai.ops.jobs import JobContext, JobRegistry, JobRunner
from prokai.ops.metrics import Metrics
from prokai.ops.scheduler import Clock, build_scheduler, real_clock, start_scheduler, stop_scheduler
from prokai.readmodels.i18n import t
from prokai.store.audit import audit
from prokai.store.db import Database
from prokai.store.models import Account, HealthProblem, ModemPort
from prokai.store.types import utcnow

log = logging.getLogger("prokai.service")

Worker = Callable[[Settings, Database, asyncio.Event], Awaitable[None]]
_WORKERS: dict[str, Worker] = {}
BAD_ACCOUNT_STATES = ("banned", "frozen", "needs_relogin", "2fa_locked")


def register_worker(name: str, fn: Worker) -> None:
    """Add a worker to every `prokai run` in this process (the crawler registers its own)."""
    _WORKERS[name] = fn


def registered_workers() -> dict[str, Worker]:
    """The workers registered with `register_worker`."""
    return dict(_WORKERS)


# --- the health check ------------------------------------------------------------------------------


def health_problems(db: Database, now: datetime | None = None, stale_after: timedelta = timedelta(hours=1)) -> list[str]:
    """Modems not OK or unseen for `stale_after`, and accounts in a bad state, as short lines."""
    now = now or datetime.now(UTC)
    problems: list[str] = []
    with db.session() as s:
        for port in s.scalars(select(ModemPort).order_by(ModemPort.id)):
            name = port.tty or port.usb_path or f"port {port.id}"
            if port.status not in ("ok", "ready", "unknown"):
                problems.append(f"modem {name}: {port.status}")
            elif port.last_seen is not None and now - port.last_seen > stale_after:
                problems.append(f"modem {name}: not seen since {port.last_seen:%Y-%m-%d %H:%M} UTC")
        for state, n in s.execute(
            select(Account.state, func.count()).where(Account.state.in_(BAD_ACCOUNT_STATES)).group_by(Account.state)
        ):
            problems.append(f"accounts {state}: {n}")
    return problems


def _record_health(db: Database, problems: list[str]) -> list[str]:
    """Keep `problems` as the current ones (`health_problems`), audit the check; returns those not
    found by the previous check."""
    current = list(dict.fromkeys(p[:512] for p in problems))
    with db.session() as s:
        known = {p.problem: p for p in s.scalars(select(HealthProblem))}
        new = [p for p in current if p not in known]
        now = utcnow()
        for problem in set(known) - set(current):
            s.delete(known[problem])
        for problem in current:
            if problem in known:
                known[problem].last_seen = now
            else:
                s.add(HealthProblem(problem=problem, first_seen=now, last_seen=now))
        audit(s, "scheduler", "health.check", "health", None, problems=problems, new=new)
    return new


async def health_check(ctx: JobContext) -> dict[str, Any]:
    """The `health` job: audit the state, alert the admin chat about problems not reported before."""
    problems = await asyncio.to_thread(health_problems, ctx.db)
    new = await asyncio.to_thread(_record_health, ctx.db, problems)
    if new:
        await ctx.send_alert(t(ctx.settings.review.language, "health_alert", problems="; ".join(new)))
    return {"problems": len(problems), "new": len(new), "complete": True}


def default_registry(settings: Settings) -> JobRegistry:
    """sweep and archive from their configured dotted paths, and the health check."""
    registry = JobRegistry()
    registry.register_path("sweep", settings.scheduler.sweep_callable)
    registry.register_path("archive", settings.scheduler.archive_callable)
    registry.register("health", health_check)
    return registry


# --- the service ------------------------------------------------------------------------------------


@dataclass
class Service:
    """The long-running process. `await Service(settings, db).run()` until SIGTERM."""

    settings: Settings
    db: Database
    registry: JobRegistry | None = None
    workers: dict[str, Worker] = field(default_factory=registered_workers)
    bot: bool = True
    bot_token: str | None = None
    bot_base_url: str | None = None
    clock: Clock = real_clock
    sweep_now: bool = False
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    metrics: Metrics | None = None
    metrics_port: int | None = None
    app: Any = None
    runner: JobRunner | None = None
    presence: Presence | None = None

    async def alert(self, text: str) -> None:
        """Send an alert to the admin chat (if the bot runs and an admin chat is set)."""
        chat = self.settings.review.admin_chat_id
        if self.app is None or chat is None:
            return
        try:
            await self.app.bot.send_message(chat, text)
        except Exception as exc:
            log.error("alert to the admin chat failed: %s", exc)

    def _on_job_result(self, name: str, result: str) -> None:
        if self.metrics:
            self.metrics.jobs.labels(name, result).inc()
            if result == "failed":
                self.metrics.errors.labels(f"job:{name}").inc()

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT set the stop event."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._signalled, sig)

    def _signalled(self, sig: signal.Signals) -> None:
        log.info("received %s: shutting down", sig.name)
        self.stop.set()

    async def _notifier(self, settings: Settings, db: Database, stop: asyncio.Event) -> None:
        from prokai.review.notify import notify_pending

        while not stop.is_set():
            if self.app is not None:
                try:
                    sent = await notify_pending(self.app.bot, db, settings)
                    if self.metrics and sent:
                        self.metrics.notifications.inc(sent)
                except Exception:
                    log.exception("notifier failed")
                    if self.metrics:
                        self.metrics.errors.labels("notifier").inc()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.review.notify_interval_s)

    async def run(self) -> int:
        """Run until `stop` is set; returns the exit status (0 after a clean shutdown).

        Every node serves its metrics, registers in the workers table and runs its workers; the
        scheduler, the job runner and the admin bot run only while this process leads the
        cluster (`prokai.cluster.leader`)."""
        settings, db = self.settings, self.db
        self.metrics = self.metrics or Metrics(db)
        cluster = settings.cluster
        self.presence = presence = Presence(db, "run-standby", node=cluster.node)
        with contextlib.suppress(ValueError):  # a Metrics reused by a second run() has it already
            self.metrics.registry.register(WorkerCollector(db, cluster.heartbeat_s))
            if cluster.enabled:
                from prokai.cluster.queue_metrics import QueueCollector

                self.metrics.registry.register(QueueCollector(cluster))
        leadership = Leadership(leader_lock(db), retry_s=cluster.leader_retry_s, check_s=cluster.leader_check_s)
        worker_stop = asyncio.Event()
        tasks: dict[str, asyncio.Task[None]] = {}
        async with AsyncExitStack() as stack:
            if settings.review.metrics_port is not None:
                self.metrics_port = self.metrics.serve(settings.review.metrics_host, settings.review.metrics_port)
                stack.callback(self.metrics.close)
                log.info("metrics on http://%s:%s/metrics", settings.review.metrics_host, self.metrics_port)
            stack.callback(leadership.release)
            with db.session() as s:
                audit(s, "service", "service.started", "service", None, bot=self.bot, workers=sorted(self.workers),
                      node=presence.node)
            await stack.enter_async_context(presence.running(cluster.heartbeat_s))
            for name, fn in self.workers.items():
                tasks[name] = asyncio.create_task(self._guard(name, fn, worker_stop), name=f"worker:{name}")
            log.info("prokai run: up on node %s (bot %s, workers %s)", presence.node, "on" if self.bot else "off",
                     ", ".join(tasks) or "none")
            sweep_now, after = self.sweep_now, 0.0
            while await leadership.acquire(self.stop, after=after):
                try:
                    if not await self._lead(leadership, sweep_now):
                        break
                except DBAPIError as exc:  # the database failed while taking the lead
                    log.error("leading failed on a database error; stepping down: %s", first_line(exc))
                sweep_now, after = False, 2 * cluster.leader_retry_s
                # Stepped down: the lock may be another node's now; stand by again.
                leadership.release()
                await presence.update(role="run-standby", doing="")
                try:
                    await asyncio.to_thread(self._record_stepping_down)
                except Exception as exc:  # the database may be the reason: the log has it
                    log.warning("leadership: cannot record stepping down: %s", first_line(exc))
            leadership.release()  # at once: a standby leads while this node's workers wind down
            log.info("stopping: finishing the current unit of work")
            worker_stop.set()
            if tasks:
                _done, pending = await asyncio.wait(tasks.values(), timeout=settings.scheduler.shutdown_timeout_s)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*tasks.values(), return_exceptions=True)
        with db.session() as s:
            audit(s, "service", "service.stopped", "service", None)
        db.dispose()
        log.info("prokai run: stopped")
        return 0

    async def _lead(self, leadership: Leadership, sweep_now: bool) -> bool:
        """Run the scheduler, the job runner and the bot while this process holds the lock;
        returns True when it lost the lock (step down, stand by again), False on `stop`."""
        settings, db, presence = self.settings, self.db, self.presence
        assert presence is not None
        log.info("leadership taken: node %s, pid %s runs the scheduler%s", presence.node, presence.pid,
                 " and the admin bot" if self.bot else "")
        base = "scheduler, bot" if self.bot else "scheduler"
        await presence.update(role="run-leader", doing=base)
        try:
            await asyncio.to_thread(self._record_leadership)
        except Exception as exc:  # the database went away again: the lock check decides
            log.warning("leadership: cannot record it: %s", first_line(exc))
        registry = self.registry or default_registry(settings)
        self.runner = runner = JobRunner(
            registry, settings, db, alert=self.alert, on_result=self._on_job_result, clock=self.clock
        )
        presence.describe = lambda: _doing(base, runner)
        notifier_stop = asyncio.Event()
        lost = asyncio.create_task(leadership.lost(), name="leadership")
        stopped = asyncio.create_task(self.stop.wait(), name="stop")
        try:
            async with AsyncExitStack() as stack:
                stack.push_async_callback(_cancel, lost, stopped)
                scheduler = build_scheduler(settings, db, clock=self.clock)
                start_scheduler(scheduler, settings, runner)
                halt_scheduler = functools.cache(functools.partial(stop_scheduler, scheduler))  # once only
                stack.callback(halt_scheduler)
                # On any exit (also a failed start), running jobs stop at a unit boundary first.
                stack.push_async_callback(runner.stop, settings.scheduler.shutdown_timeout_s)
                if self.bot:
                    from prokai.review.bot import running_bot

                    stack.callback(setattr, self, "app", None)
                    self.app = await stack.enter_async_context(
                        running_bot(settings, db, self.bot_token, self.bot_base_url, runner=runner, metrics=self.metrics)
                    )
                    notifier = asyncio.create_task(self._guard("notifier", self._notifier, notifier_stop),
                                                   name="worker:notifier")
                    stack.push_async_callback(_finish, notifier, notifier_stop, settings.scheduler.shutdown_timeout_s)
                resumed = runner.resume_unfinished()
                if sweep_now and not any(r.name == "sweep" for r in resumed):
                    runner.start("sweep", trigger="manual", actor="service")
                await asyncio.wait({lost, stopped}, return_when=asyncio.FIRST_COMPLETED)
                if lost.done():
                    log.error("leadership lost (database connection gone): stepping down, scheduler and bot stop")
                # The scheduler stops firing first, then running jobs, then the bot.
                halt_scheduler()
                await runner.stop(settings.scheduler.shutdown_timeout_s)
        finally:
            presence.describe = None
            self.runner = None if lost.done() else runner
        return lost.done() and not self.stop.is_set()

    def _record_leadership(self) -> None:
        presence = self.presence
        assert presence is not None
        demoted = demote_other_leaders(self.db, presence)
        with self.db.session() as s:
            audit(s, "service", "cluster.leader", "node", presence.node, pid=presence.pid, host=presence.host,
                  bot=self.bot, demoted=demoted)

    def _record_stepping_down(self) -> None:
        presence = self.presence
        assert presence is not None
        with self.db.session() as s:
            audit(s, "service", "cluster.stepped_down", "node", presence.node, pid=presence.pid, host=presence.host,
                  reason="lock connection lost")

    async def _guard(self, name: str, fn: Worker, stop: asyncio.Event) -> None:
        """Run a worker; a crash is logged and counted, and the worker restarts after a pause."""
        while not stop.is_set():
            try:
                await fn(self.settings, self.db, stop)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("worker %s crashed; restarting in 5 s", name)
                if self.metrics:
                    self.metrics.errors.labels(f"worker:{name}").inc()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 5.0)


def _doing(base: str, runner: JobRunner) -> str:
    """What a leader does: its parts and the jobs running (`prokai workers`)."""
    running = sorted(name for name in runner.tasks if runner.is_running(name))
    return f"{base}; jobs: {', '.join(running)}" if running else base


async def _cancel(*tasks: asyncio.Task[Any]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _finish(task: asyncio.Task[None], stop: asyncio.Event, timeout: float) -> None:
    """Ask a worker task to stop and wait for it (cancel after `timeout`)."""
    stop.set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(task), timeout)
    if not task.done():
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)
