"""`prokai campaign run N --distributed`: one job per target on the queue, then progress followed
from the database until no target has a job out (`prokai.cluster.jobs`).

The report is the in-process runner's `RunReport`: conversations finished during this run and
their outcomes, the targets left pending and why, so the CLI prints and exits alike (0: all done;
1: targets left pending; 128+signal: stopped). SIGTERM or Ctrl-C marks the campaign `stopping`,
as `prokai campaign stop` does: the workers finish the conversations in progress and defer the
jobs still queued; the follower waits for that and ends with the campaign `stopped`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import select

from prokai.cluster.jobs import claim_target, mark_queued, open_jobs, progress, stale_jobs
from prokai.cluster.queue import JobQueue
from prokai.config import Settings
from prokai.crawl.runner import ProgressEvent, RunReport, close_campaign, notify_progress
from prokai.store.audit import audit
from prokai.store.db import Database
from prokai.store.models import Campaign, Conversation, Requisite, Sighting
from prokai.store.types import utcnow

log = logging.getLogger(__name__)


class DistributedRun:
    """Publishes a campaign's jobs and follows them to the end."""

    def __init__(self, db: Database, settings: Settings, *, actor: str = "crawler",
                 on_progress: Callable[[ProgressEvent], None] | None = None) -> None:
        self.db = db
        self.settings = settings
        self.actor = actor
        self.on_progress = on_progress
        self.published = 0
        self._stop_reason: str | None = None

    def request_stop(self, reason: str = "stop requested") -> None:
        """Stop the campaign (the workers defer what is still queued); a signal handler may call it."""
        self._stop_reason = reason

    @property
    def stop_requested(self) -> bool:
        """Whether a stop was asked for (a sweep then leaves its other campaigns to the same key)."""
        return self._stop_reason is not None

    async def run(self, campaign_id: int) -> RunReport:
        """Publish, follow, and close the campaign as the in-process runner would."""
        queue = JobQueue(self.settings.cluster)
        await queue.start()  # before anything changes: an unreachable broker leaves the campaign as it was
        try:
            started = utcnow()
            with self.db.session() as s:
                campaign = s.get(Campaign, campaign_id)
                if campaign is None:
                    raise ValueError(f"no campaign {campaign_id}")
                campaign.status = "running"
                campaign.started_at = campaign.started_at or started
                jobs = open_jobs(s, campaign_id)
                mark_queued(s, [j.target_id for j in jobs])
                done_before = set(progress(s, campaign_id)["done"])
                audit(s, self.actor, "campaign.run", "campaign", campaign_id, distributed=True, jobs=len(jobs))
            self.published = await queue.publish(jobs)
        finally:
            await queue.close()
        log.info("campaign %s: %d job(s) published on %s", campaign_id, self.published, self.settings.cluster.queue)
        report = RunReport()
        stopping = False
        loop = asyncio.get_running_loop()
        next_check = loop.time() + self.settings.cluster.republish_after_s
        while True:
            if self._stop_reason is not None and not stopping:
                stopping = True
                with self.db.session() as s:
                    campaign = s.get(Campaign, campaign_id)
                    if campaign is not None and campaign.status == "running":
                        campaign.status = "stopping"
            with self.db.session() as s:
                now = progress(s, campaign_id)
            finished = {k: v for k, v in now["done"].items() if k not in done_before}
            report.done = len(finished)
            report.outcomes = {}
            for outcome in finished.values():
                report.outcomes[str(outcome)] = report.outcomes.get(str(outcome), 0) + 1
            report.total = report.done + len(now["out"]) + len(now["deferred"])
            report.pending = dict(now["deferred"])
            self._progress(campaign_id, report)
            if not now["out"]:
                break
            if loop.time() >= next_check:
                next_check = loop.time() + self.settings.cluster.republish_after_s / 2
                await self._republish_lost(campaign_id)
            await asyncio.sleep(self.settings.cluster.progress_interval_s)
        report.stopped_by = self._stop_reason
        with self.db.session() as s:
            report.new_requisites = list(s.scalars(
                select(Requisite.id).join(Sighting, Sighting.requisite_id == Requisite.id)
                .join(Conversation, Conversation.id == Sighting.conversation_id)
                .where(Conversation.campaign_id == campaign_id, Requisite.first_seen >= started)
                .group_by(Requisite.id)))
            report.left = len(report.pending)
            close_campaign(s, campaign_id, report, self.actor, stopping=stopping, distributed=True)
        return report

    async def _republish_lost(self, campaign_id: int) -> int:
        """Publish again the jobs out for `republish_after_s` that no worker holds while the broker
        has none waiting (a publish lost after its target was marked queued, a purged queue); a
        job that was only slow comes twice, and its second delivery is acked without work."""
        from prokai.cluster.queue_metrics import read_depths, waiting_jobs

        with self.db.session() as s:
            stale = stale_jobs(s, campaign_id, self.settings.cluster.republish_after_s)
        if not stale:
            return 0
        try:
            if waiting_jobs(await read_depths(self.settings.cluster)):
                return 0  # they may be among those waiting: a deep queue is no loss
        except Exception as exc:  # the broker is away: try again at the next check
            log.warning("campaign %s: cannot read the queue to look for lost jobs: %s", campaign_id, exc)
            return 0
        lost = []
        for job in stale:
            with claim_target(self.db, job.target_id) as free:
                if free:
                    lost.append(job)
        if not lost:
            return 0
        queue = JobQueue(self.settings.cluster)
        try:
            await queue.start()
            try:
                with self.db.session() as s:
                    mark_queued(s, [j.target_id for j in lost])
                await queue.publish(lost)
            finally:
                await queue.close()
        except Exception as exc:  # still stale: the next check tries again
            log.warning("campaign %s: cannot publish %d lost job(s) again: %s", campaign_id, len(lost), exc)
            return 0
        log.warning("campaign %s: %d job(s) out for over %.0f s with none in the queue and no worker on them: "
                    "published again", campaign_id, len(lost), self.settings.cluster.republish_after_s)
        return len(lost)

    def _progress(self, campaign_id: int, report: RunReport) -> None:
        notify_progress(self.on_progress, campaign_id, report)


__all__ = ["DistributedRun"]
