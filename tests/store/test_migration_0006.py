"""Migration 0006 moves working state out of the audit log and the JSON columns into its tables:
a database made at 0005 the way the code before it wrote (audit records through `audit`, JSON
keys) comes out with the same state read from the tables, the chain intact, and back again on a
downgrade; on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from prokai.daemon.sweeps import sweep_campaign_ids
from prokai.ops.jobs import unfinished_runs
from prokai.review.handlers import LanguagePrefs
from prokai.review.notify import unnotified
from prokai.store.audit import audit
from prokai.store.chain import verify_chain
from prokai.store.db import Database
from prokai.store.migrate import downgrade, upgrade
from prokai.store.models import (
    Account,
    Campaign,
    Case,
    ChainEntry,
    HealthProblem,
    JobRun,
    RefusalAnswer,
    Requisite,
    RequisiteNotification,
    ReviewerPref,
    SweepCampaign,
    TwoFactorTry,
)

REVIEWER, OTHER, STRANGER, QUIET = 1001, 1002, 555, 556
NOTIFIED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _seed_0005(db: Database) -> dict[str, int]:
    """State as the code before 0006 kept it."""
    with db.session() as s:
        audit(s, f"reviewer:{REVIEWER}", "review.lang", "reviewer", REVIEWER, lang="en")
        audit(s, f"reviewer:{OTHER}", "review.lang", "reviewer", OTHER, lang="en")
        audit(s, f"reviewer:{REVIEWER}", "review.lang", "reviewer", REVIEWER, lang="kk")
        audit(s, f"telegram:{STRANGER}", "review.refused", "telegram_user", STRANGER, text="/pending", answered=True)
        audit(s, f"telegram:{STRANGER}", "review.refused", "telegram_user", STRANGER, text="/stats", answered=False)
        audit(s, f"telegram:{QUIET}", "review.refused", "telegram_user", QUIET, text="hi", answered=False)
        # sweep run a: interrupted, then resumed (and finished) by run b
        audit(s, "scheduler", "job.started", "job", "sweep", run_id="a", trigger="schedule")
        audit(s, "scheduler", "job.checkpoint", "job", "sweep", run_id="a", key="2026-12-01", done=2)
        audit(s, "scheduler", "job.interrupted", "job", "sweep", run_id="a")
        audit(s, "scheduler", "job.started", "job", "sweep", run_id="b", trigger="resume")
        audit(s, "scheduler", "job.resumed", "job", "sweep", run_id="b", resumed_from="a")
        audit(s, "scheduler", "job.checkpoint", "job", "sweep", run_id="b", key="2026-12-01", done=2)
        audit(s, "scheduler", "job.finished", "job", "sweep", run_id="b", shops=4)
        # archive run c: killed mid-run (started, a checkpoint, nothing after)
        audit(s, "scheduler", "job.started", "job", "archive", run_id="c", trigger="manual")
        audit(s, "scheduler", "job.checkpoint", "job", "archive", run_id="c", accounts=3)
        # health run d failed as unavailable; two health checks, the latest counts
        audit(s, "scheduler", "job.started", "job", "health", run_id="d", trigger="schedule")
        audit(s, "scheduler", "job.failed", "job", "health", run_id="d", error="gone", unavailable=True)
        audit(s, "scheduler", "health.check", "health", None, problems=["modem a: no_response"], new=[])
        audit(s, "scheduler", "health.check", "health", None, problems=["accounts banned: 2", "modem b: gone"],
              new=["modem b: gone"])
        notified = Requisite(kind="card", value="4400430212345678", status="pending",
                             meta={"bank": "Kaspi Bank", "notified_at": NOTIFIED_AT.isoformat(),
                                   "notified": [{"chat_id": -100777, "message_id": 41},
                                                {"chat_id": REVIEWER, "message_id": 7}]})
        waiting = Requisite(kind="card", value="4400430287654321", status="pending", meta={"bank": "Halyk"})
        case = Case(number="CASE-0006")
        s.add_all([notified, waiting, case])
        s.flush()
        source = Campaign(case_id=case.id, name="almaty", settings={"region": "almaty"})
        s.add(source)
        s.flush()
        sweep = Campaign(case_id=case.id, name="almaty / sweep 2026-12-01",
                         settings={"sweep_of": source.id, "sweep_key": "2026-12-01", "note": "kept"})
        other = Campaign(case_id=case.id, name="almaty / sweep 2026-12-02",
                         settings={"sweep_of": source.id, "sweep_key": "2026-12-02"})
        locked = Account(phone="+77051110007", state="2fa_locked",
                         meta={"2fa_tried": ["fp-1", "fp-2", "fp-2", "fp-3"], "logged_in_via": "sms"})
        s.add_all([sweep, other, locked])
        s.flush()
        return {"notified": notified.id, "waiting": waiting.id, "source": source.id, "sweep": sweep.id,
                "other": other.id, "locked": locked.id}


def _chain(db: Database) -> list[tuple[int, str, int]]:
    with db.session() as s:
        result = verify_chain(s)
        assert result.ok, result.describe()
        return [(e.seq, e.record_type, e.record_id) for e in s.scalars(sa.select(ChainEntry).order_by(ChainEntry.seq))]


def test_0006_moves_state_from_audit_records_and_json_columns(db_url: str) -> None:
    upgrade(db_url, "0005")
    old = Database(db_url)
    try:
        ids = _seed_0005(old)
        links = _chain(old)
    finally:
        old.dispose()

    upgrade(db_url)
    db = Database(db_url)
    try:
        assert _chain(db) == links  # nothing re-linked: the audit records are untouched
        langs = LanguagePrefs(db, "ru")
        assert (langs.get(REVIEWER), langs.get(OTHER), langs.get(STRANGER)) == ("kk", "en", "ru")
        with db.session() as s:
            assert {p.telegram_id: p.lang for p in s.scalars(sa.select(ReviewerPref))} == {REVIEWER: "kk", OTHER: "en"}
            answered = s.scalars(sa.select(RefusalAnswer)).all()
            assert [(a.actor, a.telegram_id) for a in answered] == [(f"telegram:{STRANGER}", STRANGER)]

            runs = {r.run_id: r for r in s.scalars(sa.select(JobRun))}
            assert {k: (r.name, r.status, r.trigger) for k, r in runs.items()} == {
                "a": ("sweep", "interrupted", "schedule"), "b": ("sweep", "finished", "resume"),
                "c": ("archive", "running", "manual"), "d": ("health", "unavailable", "schedule"),
            }
            assert runs["b"].resumed_from == "a" and runs["b"].result == {"shops": 4}
            assert runs["b"].checkpoint == {"key": "2026-12-01", "done": 2}
            assert runs["a"].ended_at is not None and runs["c"].ended_at is None
            assert set(s.scalars(sa.select(HealthProblem.problem))) == {"accounts banned: 2", "modem b: gone"}

            sent = s.scalars(sa.select(RequisiteNotification).order_by(RequisiteNotification.id)).all()
            assert [(n.requisite_id, n.chat_id, n.message_id, n.notified_at) for n in sent] == [
                (ids["notified"], -100777, 41, NOTIFIED_AT), (ids["notified"], REVIEWER, 7, NOTIFIED_AT)]
            assert list(s.scalars(unnotified(50))) == [ids["waiting"]]
            metas: dict[int, object] = dict(s.execute(sa.select(Requisite.id, Requisite.meta)).all())
            assert metas == {ids["notified"]: {"bank": "Kaspi Bank"}, ids["waiting"]: {"bank": "Halyk"}}

            assert list(s.scalars(sweep_campaign_ids("2026-12-01"))) == [ids["sweep"]]
            assert {(c.campaign_id, c.source_campaign_id, c.sweep_key) for c in s.scalars(sa.select(SweepCampaign))} == {
                (ids["sweep"], ids["source"], "2026-12-01"), (ids["other"], ids["source"], "2026-12-02")}
            settings: dict[int, object] = dict(s.execute(sa.select(Campaign.id, Campaign.settings)).all())
            assert settings == {ids["source"]: {"region": "almaty"}, ids["sweep"]: {"note": "kept"}, ids["other"]: {}}

            tries = s.scalars(sa.select(TwoFactorTry.fingerprint).where(TwoFactorTry.account_id == ids["locked"])
                              .order_by(TwoFactorTry.id)).all()
            assert tries == ["fp-1", "fp-2", "fp-3"]
            account = s.get(Account, ids["locked"])
            assert account is not None and account.meta == {"logged_in_via": "sms"}
        assert [(r.name, r.run_id, r.checkpoint) for r in unfinished_runs(db)] == [("archive", "c", {"accounts": 3})]
    finally:
        db.dispose()

    downgrade(db_url, "0005")
    old = Database(db_url)
    try:
        assert _chain(old) == links
        with old.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            assert not tables & {"reviewer_prefs", "refusal_answers", "job_runs", "health_problems",
                                 "requisite_notifications", "sweep_campaigns", "account_2fa_tries"}
        with old.session() as s:
            notified = s.get(Requisite, ids["notified"])
            assert notified is not None and notified.meta == {
                "bank": "Kaspi Bank", "notified_at": NOTIFIED_AT.isoformat(),
                "notified": [{"chat_id": -100777, "message_id": 41}, {"chat_id": REVIEWER, "message_id": 7}]}
            sweep = s.get(Campaign, ids["sweep"])
            assert sweep is not None and sweep.settings == {"note": "kept", "sweep_of": ids["source"],
                                                            "sweep_key": "2026-12-01"}
            account = s.get(Account, ids["locked"])
            assert account is not None and account.meta == {"logged_in_via": "sms", "2fa_tried": ["fp-1", "fp-2", "fp-3"]}
    finally:
        old.dispose()
