"""Review decisions: confirm or reject a pending requisite, safely under races.

The decision is one conditional `UPDATE requisites SET status=… WHERE id=… AND status='pending'`
in the same transaction as its `Review` row and audit record. Whoever's UPDATE changes the row
wins; everyone else (another process, another reviewer, the same reviewer pressing twice) gets
zero rows and is told who decided. That holds across processes on SQLite (one writer at a time)
and PostgreSQL (the row lock makes the loser re-check `status` after the winner commits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from prokai.review.access import Reviewer
from prokai.store.audit import audit
from prokai.store.db import Database
from prokai.store.models import Requisite, Review

Decision = Literal["confirmed", "rejected"]
Outcome = Literal["decided", "same", "lost", "not_found"]


@dataclass(frozen=True)
class DecisionResult:
    """What happened: `decided` (this call decided), `same` (already decided the same way by the
    same reviewer: harmless), `lost` (someone else decided first), `not_found`.

    `status` and `decided_by` describe the requisite as it now stands.
    """

    outcome: Outcome
    requisite_id: int
    status: str | None = None
    decided_by: str | None = None
    decided_by_id: int | None = None
    review_id: int | None = None


def last_review(session: Session, requisite_id: int) -> Review | None:
    """The latest decision recorded for a requisite."""
    return session.scalars(
        select(Review).where(Review.requisite_id == requisite_id).order_by(Review.id.desc()).limit(1)
    ).first()


def decide_in(session: Session, requisite_id: int, reviewer: Reviewer, decision: Decision, comment: str | None = None) -> DecisionResult:
    """Record `decision` inside an open session (the caller commits). See `decide`."""
    changed = session.execute(
        update(Requisite)
        .where(Requisite.id == requisite_id, Requisite.status == "pending")
        .values(status=decision)
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) == 1:
        review = Review(
            requisite_id=requisite_id,
            reviewer_id=reviewer.telegram_id,
            reviewer_name=reviewer.name,
            decision=decision,
            comment=comment,
        )
        session.add(review)
        session.flush()
        req = session.get(Requisite, requisite_id)
        audit(
            session,
            reviewer.actor,
            "review.confirm" if decision == "confirmed" else "review.reject",
            "requisite",
            requisite_id,
            review_id=review.id,
            kind=req.kind if req else None,
            value=req.value if req else None,
            role=reviewer.role,
            name=reviewer.name,
        )
        return DecisionResult("decided", requisite_id, decision, reviewer.name, reviewer.telegram_id, review.id)
    status = session.scalar(select(Requisite.status).where(Requisite.id == requisite_id))
    if status is None:
        audit(session, reviewer.actor, "review.not_found", "requisite", requisite_id, decision=decision)
        return DecisionResult("not_found", requisite_id)
    prior = last_review(session, requisite_id)
    by_name = prior.reviewer_name if prior else None
    by_id = prior.reviewer_id if prior else None
    same = status == decision and by_id == reviewer.telegram_id
    audit(
        session,
        reviewer.actor,
        "review.repeat" if same else "review.conflict",
        "requisite",
        requisite_id,
        attempted=decision,
        status=status,
        decided_by=by_id,
    )
    return DecisionResult("same" if same else "lost", requisite_id, status, by_name, by_id, prior.id if prior else None)


def decide(db: Database, requisite_id: int, reviewer: Reviewer, decision: Decision, comment: str | None = None) -> DecisionResult:
    """Confirm or reject one requisite for `reviewer`, in its own transaction; audited either way.

    Exactly one of several concurrent calls on a pending requisite returns `decided`; a repeat
    by the same reviewer returns `same` and changes nothing.
    """
    with db.session() as session:
        return decide_in(session, requisite_id, reviewer, decision, comment)
