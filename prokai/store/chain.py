"""The evidence chain: every stored fact a prosecutor acts on is a link: messages, their originals
(TL bytes, photos) and collection contexts, requisites, sightings, shop status changes, reviews,
audit records. A requisite's `status` is not hashed but derived: `verify_chain` checks that it is
what the requisite's chained reviews decided (pending when there is none).

    record_hash = SHA-256(canonical JSON of the record's content)
    entry_hash  = SHA-256(prev_hash ‖ record_type ‖ record_id ‖ record_hash)

Appending happens automatically when an `EvidenceSession` flushes new records: the session
locks the single `evidence_chain_head` row with an UPDATE (a row lock on PostgreSQL, the write
lock on SQLite), so concurrent writers in several processes take turns and the chain never
forks; each link's `seq` (the primary key) comes from that head, so two links can never claim
the same place.
Stored evidence is immutable: a flush that changes a hashed column of one, or deletes one,
raises `EvidenceImmutableError` (a requisite's `status`, `last_seen` and `meta` may change).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import Session, UOWTransaction

from prokai.evidence.canonical import canonical_bytes, content_hash, entry_hash
from prokai.store.models import (
    AuditRecord,
    ChainEntry,
    ChainHead,
    CollectionContext,
    Evidence,
    Message,
    Original,
    Requisite,
    Review,
    ShopStatusChange,
    Sighting,
)

GENESIS = "0" * 64
# Also the order in which one flush's new records are linked.
CHAINED: dict[type[Evidence], str] = {
    Message: "message",
    Original: "original",
    CollectionContext: "context",
    Requisite: "requisite",
    Sighting: "sighting",
    ShopStatusChange: "shop_status",
    Review: "review",
    AuditRecord: "audit",
}
_TYPE_ORDER = {cls: i for i, cls in enumerate(CHAINED)}
RECORD_TYPES: dict[str, Any] = {v: k for k, v in CHAINED.items()}
__all__ = ["CHAINED", "GENESIS", "RECORD_TYPES", "append_records", "canonical_bytes", "entry_hash",
           "record_hash", "verify_chain"]


class EvidenceImmutableError(RuntimeError):
    """Raised when code tries to change or delete a record that is already in the chain."""


def record_hash(record: Evidence) -> str:
    """SHA-256 of the record's canonical content."""
    return content_hash(record.canonical())


_INSERT_SQL = (
    "INSERT INTO evidence_chain (seq, record_type, record_id, record_hash, prev_hash, entry_hash) "
    "VALUES ({m}, {m}, {m}, {m}, {m}, {m})"
)


def append_records(session: Session, records: Sequence[Any]) -> None:
    """Append already-flushed records (they have ids) to the chain, in order, under the head lock."""
    if not records:
        return
    conn = session.connection()
    # UPDATE first: it takes the lock before we read the head, on both databases.
    row = conn.execute(
        update(ChainHead)
        .where(ChainHead.id == 1)
        .values(seq=ChainHead.seq + len(records))
        .returning(ChainHead.seq, ChainHead.head_hash)
    ).one()
    seq = int(row.seq) - len(records)
    prev = row.head_hash
    rows = []
    for record in records:
        seq += 1
        rtype = CHAINED[type(record)]
        rhash = record_hash(record)
        link = entry_hash(prev, rtype, record.id, rhash)
        rows.append((seq, rtype, record.id, rhash, prev, link))
        prev = link
    # Straight to the driver's executemany: this runs once per stored message.
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(_INSERT_SQL.format(m=mark), rows)
    conn.execute(update(ChainHead).where(ChainHead.id == 1).values(head_hash=prev))


class EvidenceSession(Session):
    """A Session that chains new evidence on flush and refuses to alter stored evidence."""


@event.listens_for(EvidenceSession, "before_flush")
def _collect_new_evidence(session: Session, _ctx: UOWTransaction, _instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if type(obj) in CHAINED and (obj in session.deleted or _hashed_change(obj)):
            raise EvidenceImmutableError(
                f"{CHAINED[type(obj)]} {getattr(obj, 'id', '?')} is evidence and cannot be changed"
            )
    # Replaced, not extended: a flush that failed (a savepoint's duplicate) left its list behind.
    session.info["chain_pending"] = [obj for obj in session.new if type(obj) in CHAINED]


def _hashed_change(obj: Any) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in type(obj).CANONICAL)


@event.listens_for(EvidenceSession, "after_flush")
def _append_new_evidence(session: Session, _ctx: UOWTransaction) -> None:
    pending = session.info.pop("chain_pending", [])
    if pending:
        # Deterministic order: by type, then id.
        pending.sort(key=lambda r: (_TYPE_ORDER[type(r)], r.id))
        append_records(session, pending)


@event.listens_for(EvidenceSession, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop("chain_pending", None)


# --- verification ----------------------------------------------------------------------------


@dataclass
class VerifyResult:
    """The outcome of `verify_chain`: ok, or the first broken link and why."""

    ok: bool
    checked: int
    seq: int | None = None
    record_type: str | None = None
    record_id: int | None = None
    reason: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"evidence chain intact: {self.checked} records verified"
        where = f"{self.record_type} {self.record_id}" if self.record_type else "chain"
        at = f" (link {self.seq})" if self.seq is not None else ""
        return f"evidence chain broken at {where}{at}: {self.reason}"


def _entries(session: Session, batch: int) -> Iterator[list[ChainEntry]]:
    last = 0
    while True:
        chunk = list(
            session.scalars(select(ChainEntry).where(ChainEntry.seq > last).order_by(ChainEntry.seq).limit(batch))
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1].seq


def verify_chain(session: Session, batch: int = 2000) -> VerifyResult:
    """Walk the whole chain; report the first link whose record or hashes do not match."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for chunk in _entries(session, batch):
        by_type: dict[str, dict[int, Any]] = {}
        for rtype, model in RECORD_TYPES.items():
            ids = [e.record_id for e in chunk if e.record_type == rtype]
            if ids:
                rows: Sequence[Any] = session.scalars(select(model).where(model.id.in_(ids))).all()
                by_type[rtype] = {r.id: r for r in rows}
        for entry in chunk:
            bad = VerifyResult(False, checked, entry.seq, entry.record_type, entry.record_id)
            if entry.seq != expected_seq:
                bad.reason = f"link {expected_seq} is missing (next is {entry.seq})"
                return bad
            if entry.prev_hash != prev:
                bad.reason = "previous-hash does not match the preceding link (reordered or removed)"
                return bad
            record = by_type.get(entry.record_type, {}).get(entry.record_id)
            if record is None:
                bad.reason = "record is missing (deleted)"
                return bad
            if record_hash(record) != entry.record_hash:
                bad.reason = "record content does not match its hash (edited)"
                return bad
            if isinstance(record, Original) and (
                hashlib.sha256(record.data).hexdigest() != record.sha256 or len(record.data) != record.size
            ):
                bad.reason = "original bytes do not match their SHA-256 (edited)"
                return bad
            if entry_hash(prev, entry.record_type, entry.record_id, entry.record_hash) != entry.entry_hash:
                bad.reason = "link hash does not match (chain entry edited)"
                return bad
            prev = entry.entry_hash
            expected_seq += 1
            checked += 1
    head = session.get(ChainHead, 1)
    if head is None or head.seq != checked or head.head_hash != prev:
        return VerifyResult(False, checked, checked, None, None, "chain head does not match the last link (truncated)")
    for rtype, model in RECORD_TYPES.items():
        chained = select(ChainEntry.record_id).where(ChainEntry.record_type == rtype)
        orphan = session.scalar(select(func.min(model.id)).where(model.id.not_in(chained)))
        if orphan is not None:
            return VerifyResult(False, checked, None, rtype, orphan, "record is not in the chain (inserted behind the store)")
    forged = _status_not_derived(session)
    if forged is not None:
        rid, status, derived = forged
        return VerifyResult(False, checked, None, "requisite", rid,
                            f"status {status!r} is not what its chained reviews decided ({derived!r})")
    return VerifyResult(True, checked)


def derived_status(session: Session) -> dict[int, str]:
    """requisite id -> the decision of its latest review (requisites without one are pending)."""
    latest = select(Review.requisite_id, func.max(Review.id).label("rid")).group_by(Review.requisite_id).subquery()
    rows = session.execute(select(Review.requisite_id, Review.decision).join(latest, Review.id == latest.c.rid))
    return {int(r): d for r, d in rows}


def _status_not_derived(session: Session) -> tuple[int, str, str] | None:
    """The first requisite whose stored status differs from the one its reviews give."""
    decided = derived_status(session)
    for rid, status in session.execute(select(Requisite.id, Requisite.status).order_by(Requisite.id)):
        derived = decided.get(int(rid), "pending")
        if status != derived:
            return int(rid), status, derived
    return None
