"""Adapters from the scheduler's jobs to the crawler and the account archive.

`nightly_sweep` is the default `scheduler.sweep_callable`: it builds the crawler's campaign
runner from settings (as `prokai sweep` does; with `cluster.enabled` the distributed
run that publishes one job per target for `prokai worker` and follows them) and calls `prokai.crawl.sweep.run_sweep` with
today's date in `scheduler.timezone` (by the scheduler's clock, so fast-forwarded nights get
their own keys) as the sweep key. The crawler's sweeps are idempotent per
key, so a run interrupted by SIGTERM is resumed by the next start with the same key (kept in the
job's checkpoint even if the restart is after midnight). On the stop signal every sweep campaign
of the key is asked to stop (`stop_campaign`): conversations in progress finish, no new ones start.

`refresh_archives` is the default `scheduler.archive_callable`: it re-archives the seized accounts.
Both import the crawler/accounts code only when they run; if it is not installed the job reports
itself unavailable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select

from prokai.config import Settings
from prokai.ops.jobs import JobContext, JobUnavailable
from prokai.store.db import Database
from prokai.store.models import SweepCampaign

log = logging.getLogger("prokai.jobs.sweep")


def campaign_runner(settings: Settings, db: Database, model: str | None = None, concurrency: int = 4) -> Any:
    """The crawler's CampaignRunner over the account pool, configured from settings
    (the classifier is `model`, default `scheduler.sweep_model`)."""
    try:
        from prokai.crawl.factory import build_runner
    except ModuleNotFoundError as exc:
        raise JobUnavailable(f"the crawler is not installed: {exc.name}") from None
    return build_runner(db, settings, model=model or settings.scheduler.sweep_model, concurrency=concurrency)


def sweep_campaign_ids(key: str) -> Select[int]:
    """The campaigns of the sweep `key` (one per original campaign)."""
    return select(SweepCampaign.campaign_id).where(SweepCampaign.sweep_key == key).order_by(SweepCampaign.campaign_id)


def _stop_sweep_campaigns(db: Database, key: str) -> None:
    from prokai.crawl.campaigns import stop_campaign

    with db.session() as s:
        ids = list(s.scalars(sweep_campaign_ids(key)))
    for cid in ids:
        with contextlib.suppress(Exception):
            stop_campaign(db, cid, "scheduler")


async def nightly_sweep(ctx: JobContext) -> dict[str, Any]:
    """Sweep every live shop for today's key (or the interrupted run's key)."""
    try:
        from prokai.crawl.sweep import run_sweep
    except ModuleNotFoundError as exc:
        raise JobUnavailable(f"the crawler's sweep is not installed: {exc.name}") from None
    today = ctx.now().astimezone(ZoneInfo(ctx.settings.scheduler.timezone)).date().isoformat()
    key = str(ctx.checkpoint_state.get("key") or today)
    ctx.checkpoint(key=key)
    runner: Any
    if ctx.settings.cluster.enabled:  # the workers run the conversations; this follows them
        from prokai.cluster.dispatch import DistributedRun

        runner = DistributedRun(ctx.db, ctx.settings, actor="scheduler")
    else:
        runner = campaign_runner(ctx.settings, ctx.db)
    task = asyncio.create_task(run_sweep(ctx.db, runner, key=key, actor="scheduler"))
    stopper = asyncio.create_task(ctx.stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopped = stopper.done() and not task.done()
    if stopped:
        log.info("sweep %s: stopping after the conversations in progress", key)
        _stop_sweep_campaigns(ctx.db, key)
    stopper.cancel()
    report = await task
    return {
        "complete": not stopped,
        "key": key,
        "shops": report.run.done,
        "new_requisites": len(report.run.new_requisites),
        "statuses": dict(report.statuses),
    }


async def refresh_archives(ctx: JobContext) -> dict[str, Any]:
    """Re-archive every seized account whose session can read."""
    try:
        from prokai.accounts.archive import archive_accounts
        from prokai.accounts.pool import AccountPool
    except ModuleNotFoundError as exc:
        raise JobUnavailable(f"the account archive is not installed: {exc.name}") from None
    reports = await archive_accounts(AccountPool(ctx.db, ctx.settings))
    return {"complete": True, "accounts": len(reports)}
