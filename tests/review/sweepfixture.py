"""A small resumable sweep for the `prokai run` subprocess test (imported by dotted path).

Five units; each is an audit record `fixture.unit` with the unit number. Units already done
(from an interrupted run) are skipped. With FIXTURE_BLOCK_AFTER=n the sweep waits for the stop
signal after n units, so SIGTERM always lands in the middle of the sweep.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import select

from prokai.ops.jobs import JobContext
from prokai.store.audit import audit
from prokai.store.models import AuditRecord

TOTAL = 5


async def resumable_sweep(ctx: JobContext) -> dict[str, Any]:
    with ctx.db.session() as s:
        done = {int(r.object_id or -1) for r in s.scalars(select(AuditRecord).where(AuditRecord.action == "fixture.unit"))}
    block_after = int(os.environ.get("FIXTURE_BLOCK_AFTER", "0"))
    for unit in range(TOTAL):
        if unit in done:
            continue
        if ctx.stopping:
            return {"complete": False}
        with ctx.db.session() as s:
            audit(s, "fixture", "fixture.unit", "unit", unit, run_id=ctx.run_id, trigger=ctx.trigger)
        ctx.checkpoint(done=unit + 1)
        if block_after and unit + 1 == block_after:
            await ctx.stop.wait()
    return {"complete": True, "units": TOTAL}
