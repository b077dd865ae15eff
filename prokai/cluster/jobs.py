"""Where a campaign's distributed jobs stand, kept in the database (never in a worker's memory).

A target's `status` says pending → running → done as in one process. A pending target whose
`meta.pending_reason` is set was deferred (no account free, campaign stopped): no job is out for
it and the campaign waits for another run. A pending or running target without a reason has a job
out: queued, in a worker, or (its worker killed) about to be redelivered; so has one marked
`requeue` (a stopping worker cut its conversation and publishes the job again). `mark_queued`
clears the reason of targets whose jobs are being published; the follower of `campaign run
--distributed` is done when no target has a job out.

Two deliveries of one job (at-least-once) never run one target twice at the same time: a worker
claims the target for the length of the job (`claim_target`), on PostgreSQL a session-level
advisory lock the server frees the moment that worker or its connection dies (on SQLite, one
host, a `flock`); a second delivery finds the claim held and is acknowledged without work, the
holder settles the target.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from prokai.crawl.runner import ConversationJob
from prokai.store.db import Database
from prokai.store.models import Account, Conversation, Target
from prokai.store.types import utcnow

OPEN = ("pending", "running")
# "PRT": the advisory-lock class of target claims (leadership uses "PRL", liveness "PRK": a claim's
# hashed key must never meet theirs)
NAMESPACE = 0x505254


def has_job_out(target: Target) -> bool:
    """Whether a job is out for `target` (queued, running, to be redelivered or published again)."""
    return target.status in OPEN and (not target.meta.get("pending_reason") or bool(target.meta.get("requeue")))


def mark_queued(s: Session, target_ids: Iterable[int]) -> None:
    """Say that jobs for these targets are being published: their pending reasons are cleared."""
    now = utcnow().isoformat()
    for target in s.scalars(select(Target).where(Target.id.in_(list(target_ids)))):
        meta = {k: v for k, v in target.meta.items() if k not in ("pending_reason", "requeue")}
        target.meta = {**meta, "queued_at": now}


def mark_requeue(s: Session, target_ids: Iterable[int]) -> None:
    """Say that these targets' jobs will be published again (a worker stopping cuts them): they
    keep a job out whatever reason the cut conversation leaves; `mark_queued` clears it."""
    for target in s.scalars(select(Target).where(Target.id.in_(list(target_ids)))):
        target.meta = {**target.meta, "requeue": True}


def defer(s: Session, target_id: int, reason: str) -> None:
    """Leave the target pending with no job out, saying why (a later run takes it up)."""
    target = s.get(Target, target_id)
    if target is not None and target.status != "done":
        target.status = "pending"
        meta = {k: v for k, v in target.meta.items() if k != "requeue"}
        target.meta = {**meta, "pending_reason": reason}


def cut_for_time(s: Session, target_id: int, max_slices: int) -> bool:
    """Count one more time-limited slice of the target's conversation; True (and marked for
    requeue) while it may be continued, False once it had `max_slices`."""
    target = s.get(Target, target_id)
    if target is None:
        return False
    slices = int(target.meta.get("slices", 0)) + 1
    target.meta = {**target.meta, "slices": slices, **({"requeue": True} if slices < max_slices else {})}
    return slices < max_slices


def own_account_busy(s: Session, target_id: int) -> bool:
    """Whether the account of the target's open conversation is leased by a holder not known to
    be gone (a live one, or one that died a moment ago and is not judged dead yet)."""
    from prokai.accounts.liveness import holder_is_gone
    from prokai.accounts.pool import owner_is_dead

    row = s.execute(select(Account.lease_owner, Account.lease_until)
                    .join(Conversation, Conversation.account_id == Account.id)
                    .where(Conversation.target_id == target_id, Conversation.ended_at.is_(None))
                    .order_by(Conversation.id.desc()).limit(1)).first()
    if row is None or row[0] is None or row[1] is None or row[1] < utcnow():
        return False
    return not owner_is_dead(row[0]) and not holder_is_gone(s, row[0])


def take_up(s: Session, target_id: int) -> bool:
    """A worker holding the claim starts on the target: a requeue mark left by a worker that died
    is void now; False when the target is done already."""
    target = s.get(Target, target_id)
    if target is None or target.status == "done":
        return False
    if "requeue" in target.meta:
        target.meta = {k: v for k, v in target.meta.items() if k != "requeue"}
    return True


def stale_jobs(s: Session, campaign_id: int, older_than_s: float) -> list[ConversationJob]:
    """Jobs of targets with a job out that were queued more than `older_than_s` ago (whether a
    worker holds them is for `claim_target` to say)."""
    horizon = utcnow().timestamp() - older_than_s
    out = []
    for target in s.scalars(select(Target).where(Target.campaign_id == campaign_id, Target.status.in_(OPEN))
                            .order_by(Target.id)):
        queued = target.meta.get("queued_at")
        if has_job_out(target) and queued and datetime.fromisoformat(queued).timestamp() < horizon:
            out.append(ConversationJob(campaign_id, target.id))
    return out


def open_jobs(s: Session, campaign_id: int) -> list[ConversationJob]:
    """One job per target of the campaign not done yet (what a dispatch publishes)."""
    ids = s.scalars(select(Target.id).where(Target.campaign_id == campaign_id, Target.status.in_(OPEN))
                    .order_by(Target.id)).all()
    return [ConversationJob(campaign_id, target_id) for target_id in ids]


def unpublished_discoveries(s: Session, job: ConversationJob) -> list[ConversationJob]:
    """Targets the job's conversation discovered that no job was published for yet."""
    found = s.scalars(select(Target).where(Target.discovered_from_id == job.target_id,
                                           Target.status.in_(OPEN)).order_by(Target.id)).all()
    return [ConversationJob(job.campaign_id, t.id, kind=job.kind, sweep=job.sweep)
            for t in found if "queued_at" not in t.meta and not t.meta.get("pending_reason")]


@contextmanager
def claim_target(db: Database, target_id: int) -> Iterator[bool]:
    """Hold the claim on `target_id` for the block; yields False if a live worker holds it.

    PostgreSQL: an advisory lock on a connection of its own (named after the schema, so two
    installations on one server never share claims). SQLite is one host's: an exclusive `flock`
    on `<database file>.claims/<target id>`, which the kernel frees when the holder dies (an
    in-memory database has one process: always granted)."""
    if db.engine.dialect.name != "postgresql":
        from prokai.cluster.leader import FileLeaderLock

        path = db.engine.url.database
        if db.engine.dialect.name != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
            yield True
            return
        folder = Path(f"{path}.claims")
        folder.mkdir(mode=0o700, exist_ok=True)
        lock = FileLeaderLock(folder / str(target_id))
        try:
            yield lock.try_acquire()
        finally:
            lock.release()
        return
    own = create_engine(db.engine.url, poolclass=NullPool)
    conn = own.connect()
    try:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        key = int.from_bytes(hashlib.sha256(f"{schema}:{target_id}".encode()).digest()[:4], "big", signed=True)
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"),
                                {"ns": NAMESPACE, "key": key}).scalar())
        conn.commit()
        yield got
    finally:
        conn.close()  # the session-level lock goes with its connection
        own.dispose()


def progress(s: Session, campaign_id: int) -> dict[str, Any]:
    """The campaign's targets: done (id → outcome), with a job out, deferred (id → reason)."""
    done: dict[int, str | None] = {}
    out: list[int] = []
    deferred: dict[int, str] = {}
    for t in s.scalars(select(Target).where(Target.campaign_id == campaign_id)):
        if t.status == "done":
            done[t.id] = t.outcome
        elif has_job_out(t):
            out.append(t.id)
        elif t.status in OPEN:
            deferred[t.id] = str(t.meta.get("pending_reason"))
    return {"done": done, "out": out, "deferred": deferred}


__all__ = ["claim_target", "cut_for_time", "defer", "has_job_out", "mark_queued", "mark_requeue", "own_account_busy", "take_up", "open_jobs", "progress", "stale_jobs", "unpublished_discoveries"]
