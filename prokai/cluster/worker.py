"""`prokai worker`: runs conversation jobs from the queue, several at once, on one node.

Its runner is the one `build_runner` makes from settings, over the shared account pool (leases in
the database, so one session is live on one node only). Each delivery is settled before it is
acknowledged (`prokai.cluster.queue`):

- target already done (a redelivery, a duplicate): acknowledged without work, after publishing
  what its conversation discovered if a crash came between;
- another live worker holds the target (`claim_target`): acknowledged, that worker settles it;
- the campaign is stopping: the target is deferred (pending, with the reason);
- otherwise the conversation runs (`CampaignRunner.run_job`: an open conversation is resumed with
  its own account, a dead holder's lease taken over at once) until the target is done or
  deferred; the targets it discovered are published before the acknowledgement. A conversation
  still going after `cluster.job_time_limit_s` (below RabbitMQ's 30-min consumer_timeout) is cut,
  its chat left open, and continued by a delayed job (`continue_delay_s`) that resumes it with
  the same account; after `max_slices` such cuts the target is deferred with the reason.

SIGTERM takes no new delivery, gives the conversations in progress `stop_grace_s`, then cancels
them: each target goes back to pending and its job is published again for another worker, then
the process exits 0. A worker killed with `kill -9` acknowledges nothing: RabbitMQ redelivers its
jobs, and another worker resumes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from prokai.cluster.jobs import (
    claim_target,
    cut_for_time,
    defer,
    mark_queued,
    mark_requeue,
    own_account_busy,
    take_up,
    unpublished_discoveries,
)
from prokai.cluster.presence import Presence
from prokai.cluster.queue import JobQueue
from prokai.config import Settings
from prokai.crawl.runner import CampaignRunner, ConversationJob, RunReport
from prokai.store.db import Database
from prokai.store.models import Campaign, Target

log = logging.getLogger(__name__)

RETRY_DELAY_S = 5.0  # a job whose handling failed (database down) comes back after this
CLAIM_WAIT_S = 10.0  # how long a redelivered job waits for its dead holder's claim and account lease


class Worker:
    """Consumes conversation jobs until stopped."""

    def __init__(self, db: Database, settings: Settings, runner: CampaignRunner, *,
                 concurrency: int | None = None, on_job: Callable[[str, ConversationJob], None] | None = None) -> None:
        """`runner`: built by `build_runner` (the CLI passes the account pool's); `on_job`: told
        what became of each job ("done", "deferred", "requeued", "continued", "already done",
        "held", "retried", "no target")."""
        self.db = db
        self.runner = runner
        self.concurrency = concurrency or settings.cluster.worker_concurrency
        self.queue = JobQueue(settings.cluster, concurrency=self.concurrency)
        self.on_job = on_job
        self.stop_grace_s = 10.0
        self.stopped_by: str | None = None
        self.handled: dict[str, int] = {}
        self._stop: asyncio.Event | None = None
        self._running: dict[asyncio.Future[Any], int] = {}  # conversation in progress → its target
        self._cutoff: asyncio.TimerHandle | None = None
        # Its row in the workers table (`prokai workers`): what it is doing, beat in the background.
        self.presence = Presence(db, "worker", node=settings.cluster.node)
        self.heartbeat_s = settings.cluster.heartbeat_s
        self.time_limit_s = settings.cluster.job_time_limit_s
        self.continue_delay_s = settings.cluster.continue_delay_s
        self.max_slices = settings.cluster.max_slices
        self.claim_wait_s = CLAIM_WAIT_S
        self._targets: set[int] = set()

    def _doing(self) -> None:
        ids = sorted(self._targets)
        self.presence.doing = (f"{len(ids)} conversation(s): target {', '.join(map(str, ids))}" if ids
                               else f"idle on {self.queue.cluster.queue}")

    def request_stop(self, reason: str = "stop requested") -> None:
        """Take no new job; cancel those in progress after `stop_grace_s` (a second call: now)."""
        again = self.stopped_by is not None
        self.stopped_by = reason
        if self._stop is None:
            return
        self._stop.set()
        loop = asyncio.get_running_loop()
        if again or self.stop_grace_s <= 0:
            self._cut()
        elif self._cutoff is None:
            self._cutoff = loop.call_later(self.stop_grace_s, self._cut)

    def _cut(self) -> None:
        if not self._running:
            return
        # Said before the cut: the target the runner defers on cancellation keeps its job out
        # (the follower waits for the requeued job, not for another run).
        try:
            with self.db.session() as s:
                mark_requeue(s, list(self._running.values()))
        except Exception:  # the cut must happen; the redelivery of an unsettled job still comes
            log.exception("could not mark the cut targets for requeue")
        for work in list(self._running):
            work.cancel()

    async def run(self) -> None:
        """Consume until `request_stop`; settles every job it took before returning."""
        self._stop = asyncio.Event()
        if self.stopped_by is not None:
            return
        await self.queue.start(worker=True)
        try:
            async with self.presence.running(self.heartbeat_s):
                self._doing()
                consumer = asyncio.ensure_future(self.queue.consume(self.handle, self._stop))
                stopper = asyncio.ensure_future(self._stop.wait())
                await asyncio.wait({consumer, stopper}, return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if consumer.done():
                    consumer.result()  # the consumer ended on its own: say why
                else:
                    await consumer  # waits for the handlers in progress (cut after the grace)
        finally:
            if self._cutoff is not None:
                self._cutoff.cancel()
            await self.queue.close()

    async def handle(self, job: ConversationJob) -> str:
        """Settle one delivery (see the module's docstring); what became of it."""
        try:
            outcome = await self._handle(job)
        except Exception:
            # Taskiq acknowledges a failed handler: the job goes out again, a little later.
            log.exception("job for target %s failed; published again in %.0f s", job.target_id, RETRY_DELAY_S)
            await self.queue.publish([ConversationJob(job.campaign_id, job.target_id, kind=job.kind, sweep=job.sweep)],
                                     delay_s=RETRY_DELAY_S)
            outcome = "retried"
        self.handled[outcome] = self.handled.get(outcome, 0) + 1
        if self.on_job is not None:
            self.on_job(outcome, job)
        return outcome

    async def _handle(self, job: ConversationJob) -> str:
        with self.db.session() as s:
            target = s.get(Target, job.target_id)
            campaign = s.get(Campaign, job.campaign_id)
            status = target.status if target is not None else None
            stopping = campaign is None or campaign.status in ("stopping", "stopped")
        if status is None:
            return "no target"
        if status == "done":
            await self._publish_discoveries(job)
            return "already done"
        if self.stopped_by is not None:
            await self._requeue(job)
            return "requeued"
        if stopping:
            with self.db.session() as s:
                defer(s, job.target_id, "campaign stopped")
            return "deferred"
        async with self._claimed(job.target_id) as mine:
            if not mine:
                return "held"
            with self.db.session() as s:
                if not take_up(s, job.target_id):  # settled by the holder that released the claim just now
                    return "already done"
            await self._own_account_free(job.target_id)
            if self.stopped_by is not None:  # stopped while waiting: no new conversation
                await self._requeue(job)
                return "requeued"
            work = asyncio.ensure_future(self.runner.run_job(job, RunReport()))
            self._running[work] = job.target_id
            self._targets.add(job.target_id)
            self._doing()
            try:
                result = await asyncio.wait_for(asyncio.shield(work), self.time_limit_s)
            except TimeoutError:  # no delivery may outlive the broker's consumer_timeout
                return await self._continue_later(job, work)
            except asyncio.CancelledError:
                if not work.cancelled():
                    raise  # this handler itself was cancelled
                await self._requeue(job)  # cut by a stop: another worker goes on with it
                return "requeued"
            finally:
                self._running.pop(work, None)
                self._targets.discard(job.target_id)
                self._doing()
        await self._publish_discoveries(job)
        return "done" if result is not None else "deferred"

    @asynccontextmanager
    async def _claimed(self, target_id: int) -> AsyncIterator[bool]:
        """The target's claim, waiting up to `claim_wait_s` for it: a worker killed with this job
        closed its sockets, but the database may not have dropped its claim yet when RabbitMQ
        redelivers. Still held after that: a live worker runs the target and settles it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.claim_wait_s
        while True:
            with claim_target(self.db, target_id) as mine:
                if mine or loop.time() >= deadline:
                    yield mine
                    return
            await asyncio.sleep(0.2)

    async def _own_account_free(self, target_id: int) -> None:
        """An open conversation goes on with its own account: while that account's lease is still
        held (by the worker that died with this job, not judged dead yet), wait up to
        `claim_wait_s` rather than hand the chat to another account."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.claim_wait_s
        while loop.time() < deadline:
            with self.db.session() as s:
                if not own_account_busy(s, target_id):
                    return
            await asyncio.sleep(0.2)

    async def _requeue(self, job: ConversationJob, delay_s: float | None = None) -> None:
        """Publish the job again (the target back to having a job out) before this delivery is acked."""
        with self.db.session() as s:
            mark_queued(s, [job.target_id])
        await self.queue.publish([ConversationJob(job.campaign_id, job.target_id, kind=job.kind, sweep=job.sweep)],
                                 delay_s=delay_s)

    async def _continue_later(self, job: ConversationJob, work: asyncio.Future[Any]) -> str:
        """The conversation ran `time_limit_s`: cut it (what it said and saw is stored, its chat
        open) and publish a delayed job that resumes it; after `max_slices` the target is deferred."""
        with self.db.session() as s:
            again = cut_for_time(s, job.target_id, self.max_slices)
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
        if not again:
            with self.db.session() as s:
                defer(s, job.target_id, f"conversation longer than {self.max_slices} × {self.time_limit_s:g} s")
            return "deferred"
        await self._requeue(job, delay_s=self.continue_delay_s)
        log.info("target %s: conversation cut after %.0f s, continued in %.0f s", job.target_id,
                 self.time_limit_s, self.continue_delay_s)
        return "continued"

    async def _publish_discoveries(self, job: ConversationJob) -> None:
        """Publish the targets this job's conversation discovered, then mark them queued (a crash
        between the two publishes them again on the redelivery: a duplicate, harmless)."""
        with self.db.session() as s:
            found = unpublished_discoveries(s, job)
        if not found:
            return
        await self.queue.publish(found)
        with self.db.session() as s:
            mark_queued(s, [j.target_id for j in found])
        log.info("target %s: %d discovered target(s) published", job.target_id, len(found))


def run_worker(worker: Worker) -> None:
    """Run `worker` with SIGTERM and SIGINT stopping it gracefully (a second one: at once)."""
    import signal

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.request_stop, sig.name)
        try:
            await worker.run()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(Exception):
                    loop.remove_signal_handler(sig)

    asyncio.run(main())


__all__ = ["Worker", "run_worker"]
