"""`prokai run`: one asyncio process with the scheduler, the admin bot and the workers.

Start-up: metrics endpoint → job runner → scheduler (catch-up of missed runs) → resume of runs
that a previous process left unfinished → admin bot (polling) → workers (the notifier, plus any
registered: `register_worker("crawl", fn)` or `Service(workers=…)`; a worker is
`async def fn(settings, db, stop: asyncio.Event)`).

Shutdown on SIGTERM/SIGINT (or `stop.set()`): running jobs are asked to stop at the next unit
boundary and awaited (`scheduler.shutdown_timeout_s`, then cancelled: an interrupted run is
resumed by the next start), the scheduler stops firing, workers stop, polling stops, the
database is closed. Start and stop are audited (`service.started`, `service.stopped`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

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
        """Run until `stop` is set; returns the exit status (0 after a clean shutdown)."""
        settings, db = self.settings, self.db
        self.metrics = self.metrics or Metrics(db)
        registry = self.registry or default_registry(settings)
        self.runner = runner = JobRunner(
            registry, settings, db, alert=self.alert, on_result=self._on_job_result, clock=self.clock
        )
        worker_stop = asyncio.Event()
        tasks: dict[str, asyncio.Task[None]] = {}
        async with AsyncExitStack() as stack:
            if settings.review.metrics_port is not None:
                self.metrics_port = self.metrics.serve(settings.review.metrics_host, settings.review.metrics_port)
                stack.callback(self.metrics.close)
                log.info("metrics on http://%s:%s/metrics", settings.review.metrics_host, self.metrics_port)
            scheduler = build_scheduler(settings, db, clock=self.clock)
            start_scheduler(scheduler, settings, runner)
            stack.callback(stop_scheduler, scheduler)
            # On any exit (also a failed start), running jobs stop at a unit boundary first.
            stack.push_async_callback(runner.stop, settings.scheduler.shutdown_timeout_s)
            if self.bot:
                from prokai.review.bot import running_bot

                self.app = await stack.enter_async_context(
                    running_bot(settings, db, self.bot_token, self.bot_base_url, runner=runner, metrics=self.metrics)
                )
            with db.session() as s:
                audit(s, "service", "service.started", "service", None, bot=self.bot, workers=sorted(self.workers))
            resumed = runner.resume_unfinished()
            if self.sweep_now and not any(r.name == "sweep" for r in resumed):
                runner.start("sweep", trigger="manual", actor="service")
            workers: dict[str, Worker] = {"notifier": self._notifier} if self.bot else {}
            workers.update(self.workers)
            for name, fn in workers.items():
                tasks[name] = asyncio.create_task(self._guard(name, fn, worker_stop), name=f"worker:{name}")
            log.info("prokai run: up (bot %s, workers %s)", "on" if self.bot else "off", ", ".join(tasks) or "none")
            await self.stop.wait()
            log.info("stopping: finishing the current unit of work")
            await runner.stop(settings.scheduler.shutdown_timeout_s)
            worker_stop.set()
            if tasks:
                _done, pending = await asyncio.wait(tasks.values(), timeout=settings.scheduler.shutdown_timeout_s)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*tasks.values(), return_exceptions=True)
        self.app = None
        with db.session() as s:
            audit(s, "service", "service.stopped", "service", None)
        db.dispose()
        log.info("prokai run: stopped")
        return 0

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
