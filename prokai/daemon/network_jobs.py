"""The network after each sweep: a scheduler job that sweeps, then updates the network.

The default `scheduler.sweep_callable` is `prokai.daemon.network_jobs:sweep_and_update`: the families
and the graph tables are brought up to date right after every nightly sweep (queries update them
anyway before they answer; this keeps the first morning query fast).
"""

from __future__ import annotations

import asyncio
from typing import Any

from prokai.ops.jobs import JobContext


async def sweep_and_update(ctx: JobContext) -> dict[str, Any]:
    """The nightly sweep (`prokai.daemon.sweeps:nightly_sweep`), then `prokai.network.update`."""
    from prokai.daemon.sweeps import nightly_sweep
    from prokai.network.update import update

    result = await nightly_sweep(ctx)
    report = await asyncio.to_thread(update, ctx.db)
    fams = report.families
    return {**result, "network": {"sightings": report.sightings, "messages": report.messages, "links": report.links,
                                  "families": fams.families if fams else None}}
