"""The workers table: every ProkAi process of the cluster says who it is and what it does.

A process keeps one row (`node`, `pid`) up to date: `Presence.beat` is a single UPDATE (an INSERT
the first time), run every `interval_s` by `Presence.running`. A row is live while its heartbeat
is younger than three intervals (`LIVE_FACTOR`); a process that dies leaves its row to age out,
one that stops cleanly deletes it. `prokai workers` and the `prokai_workers` metric read it; the
live `site` rows are the nodes serving their SimBox (`prokai.cluster.sites`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import delete, func, insert, select, update

import prokai
from prokai.store.db import Database
from prokai.store.models import WorkerPresence
from prokai.store.types import utcnow

log = logging.getLogger("prokai.cluster.presence")

ROLES = ("run-leader", "run-standby", "worker", "site")
LIVE_FACTOR = 3  # missed beats before a process counts as gone
FORGET_AFTER = timedelta(days=1)  # rows of processes that died are deleted after this


class Presence:
    """This process's row in `workers`."""

    def __init__(self, db: Database, role: str, node: str | None = None) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        self.db = db
        self.role = role
        self.host = socket.gethostname()
        self.node = (node or self.host)[:128]
        self.pid = os.getpid()
        self.doing = ""
        # What the process does, asked at each background beat (else `doing` stays as set).
        self.describe: Callable[[], str] | None = None
        self.started_at = utcnow()
        self.version = prokai.__version__

    def _values(self, now: datetime) -> dict[str, Any]:
        return {"role": self.role, "doing": self.doing[:255], "heartbeat_at": now}

    def register(self) -> None:
        """Start a fresh row (a dead process may have left one with this node and pid) and forget
        rows of processes gone for a day."""
        now = utcnow()
        with self.db.session() as s:
            s.execute(delete(WorkerPresence).where(
                ((WorkerPresence.node == self.node) & (WorkerPresence.pid == self.pid))
                | (WorkerPresence.heartbeat_at < now - FORGET_AFTER)
            ))
            s.execute(insert(WorkerPresence).values(
                node=self.node, pid=self.pid, host=self.host[:255], version=self.version[:32],
                started_at=self.started_at, **self._values(now),
            ))

    def beat(self, doing: str = "") -> None:
        """Record that this process is alive and does `doing` (one UPDATE)."""
        self.doing = doing
        with self.db.session() as s:
            result = s.execute(
                update(WorkerPresence)
                .where(WorkerPresence.node == self.node, WorkerPresence.pid == self.pid)
                .values(**self._values(utcnow()))
            )
        if not getattr(result, "rowcount", 0):  # pruned by someone (a clock far off) or never registered
            self.register()

    def stop(self) -> None:
        """Delete this process's row (it stops cleanly)."""
        with self.db.session() as s:
            s.execute(delete(WorkerPresence).where(WorkerPresence.node == self.node, WorkerPresence.pid == self.pid))

    @asynccontextmanager
    async def running(self, interval_s: float = 5.0) -> AsyncIterator[Presence]:
        """Register, beat every `interval_s` in the background (with `describe()` or `doing`), delete the row
        on the way out. A beat that fails (database away) is logged and tried again next time."""
        try:
            await asyncio.to_thread(self.register)
        except Exception as exc:
            log.warning("workers table: cannot register %s:%s: %s", self.node, self.pid, first_line(exc))

        async def beating() -> None:
            while True:
                await asyncio.sleep(interval_s)
                try:
                    doing = self.describe() if self.describe is not None else self.doing
                    await asyncio.to_thread(self.beat, doing)
                except Exception as exc:
                    log.warning("workers table: heartbeat failed: %s", first_line(exc))

        task = asyncio.create_task(beating(), name="presence")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            try:
                await asyncio.to_thread(self.stop)
            except Exception as exc:
                log.warning("workers table: cannot remove %s:%s: %s", self.node, self.pid, first_line(exc))

    async def update(self, role: str | None = None, doing: str | None = None) -> None:
        """Change the role or what this process does and write it at once (not at the next beat);
        a failed write is left to the next beat."""
        if role is not None:
            self.role = role
        try:
            await asyncio.to_thread(self.beat, self.doing if doing is None else doing)
        except Exception as exc:
            if doing is not None:
                self.doing = doing
            log.warning("workers table: cannot record %s: %s", self.role, first_line(exc))


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (database errors run to many lines)."""
    message = str(exc)
    return message.splitlines()[0] if message else type(exc).__name__


def live_workers(db: Database, interval_s: float, now: datetime | None = None) -> list[WorkerPresence]:
    """Rows whose heartbeat is within `LIVE_FACTOR` × `interval_s`, by node and pid."""
    since = (now or utcnow()) - timedelta(seconds=LIVE_FACTOR * interval_s)
    with db.session() as s:
        return list(s.scalars(
            select(WorkerPresence).where(WorkerPresence.heartbeat_at >= since)
            .order_by(WorkerPresence.node, WorkerPresence.pid)
        ))


def demote_other_leaders(db: Database, presence: Presence) -> int:
    """Mark every other `run-leader` row as standby: the caller holds the leadership lock, so a
    row still saying leader belongs to a process that died or has not noticed losing it yet."""
    with db.session() as s:
        result = s.execute(
            update(WorkerPresence)
            .where(WorkerPresence.role == "run-leader",
                   ~((WorkerPresence.node == presence.node) & (WorkerPresence.pid == presence.pid)))
            .values(role="run-standby")
        )
        return int(getattr(result, "rowcount", 0))


class WorkerCollector(Collector):
    """`prokai_workers{role}`: live processes of the cluster by role, read when scraped."""

    def __init__(self, db: Database, interval_s: float) -> None:
        self.db = db
        self.interval_s = interval_s

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("prokai_workers", "Live ProkAi processes of the cluster by role", labels=["role"])
        counts = dict.fromkeys(ROLES, 0)
        try:
            since = utcnow() - timedelta(seconds=LIVE_FACTOR * self.interval_s)
            with self.db.session() as s:
                for role, n in s.execute(
                    select(WorkerPresence.role, func.count()).where(WorkerPresence.heartbeat_at >= since)
                    .group_by(WorkerPresence.role)
                ):
                    counts[role] = n
        except Exception:  # a scrape must never crash the process
            log.exception("metrics: workers table unreadable")
        for role, n in counts.items():
            gauge.add_metric([role], n)
        yield gauge


__all__ = ["LIVE_FACTOR", "ROLES", "Presence", "WorkerCollector", "demote_other_leaders", "live_workers"]
