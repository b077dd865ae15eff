"""Review decisions on SQLite and PostgreSQL: one winner under a race, repeats are harmless."""

from __future__ import annotations

import threading
from collections import Counter

from reviewkit import PROSECUTOR, PROSECUTOR_2, seed_requisite
from sqlalchemy import select

from prokai.review.access import Reviewer
from prokai.review.decisions import decide
from prokai.store.chain import verify_chain
from prokai.store.db import Database
from prokai.store.models import AuditRecord, Requisite, Review

A = Reviewer(PROSECUTOR, "Aigerim Sadykova", "prosecutor")
B = Reviewer(PROSECUTOR_2, "Bolat Nurlanov", "prosecutor")


def test_confirm_twice_is_harmless(db: Database) -> None:
    req = seed_requisite(db)
    assert decide(db, req, A, "confirmed").outcome == "decided"
    again = decide(db, req, A, "confirmed")
    assert (again.outcome, again.status, again.decided_by) == ("same", "confirmed", "Aigerim Sadykova")
    other = decide(db, req, B, "rejected")
    assert (other.outcome, other.status, other.decided_by_id) == ("lost", "confirmed", PROSECUTOR)
    assert decide(db, 999_999, A, "confirmed").outcome == "not_found"
    with db.session() as s:
        assert len(list(s.scalars(select(Review)))) == 1
        actions = [r.action for r in s.scalars(select(AuditRecord).order_by(AuditRecord.id))]
        assert actions == ["review.confirm", "review.repeat", "review.conflict", "review.not_found"]
        assert verify_chain(s).ok


def test_racing_reviewers_one_decision_wins(db: Database) -> None:
    reqs = [seed_requisite(db, value=f"44004302{i:08d}") for i in range(6)]
    outcomes: list[tuple[int, str, str]] = []
    lock = threading.Lock()

    def reviewer_thread(who: Reviewer, decision: str) -> None:
        for req in reqs:
            barrier.wait()
            result = decide(db, req, who, decision)  # type: ignore[arg-type]
            with lock:
                outcomes.append((req, who.name, result.outcome))

    barrier = threading.Barrier(2)
    threads = [
        threading.Thread(target=reviewer_thread, args=(A, "confirmed")),
        threading.Thread(target=reviewer_thread, args=(B, "rejected")),
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    per_req = Counter((req, outcome) for req, _, outcome in outcomes)
    for req in reqs:
        assert per_req[(req, "decided")] == 1 and per_req[(req, "lost")] == 1
    with db.session() as s:
        reviews = list(s.scalars(select(Review)))
        assert sorted(r.requisite_id for r in reviews) == reqs
        for r in reviews:
            req = s.get(Requisite, r.requisite_id)
            assert req is not None and req.status == r.decision
        assert verify_chain(s).ok
