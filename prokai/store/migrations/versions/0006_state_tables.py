"""state tables: reviewer preferences, refusals answered, job runs, health problems, requisite
notifications, sweep campaigns, 2FA tries

Working state moves out of the audit log and out of JSON columns into tables of its own:

- `reviewer_prefs` (a reviewer's /lang) from the latest `review.lang` audit record of each reviewer;
- `refusal_answers` (the one answer a refused person gets) from `review.refused` records with
  `answered`;
- `job_runs` from the `job.*` audit records, replayed in order (started, resumed, checkpoint,
  finished / failed / interrupted);
- `health_problems` from the latest `health.check` record's `problems`;
- `requisite_notifications` from `requisites.meta["notified_at"]` / `meta["notified"]`;
- `sweep_campaigns` from `campaigns.settings["sweep_of"]` / `settings["sweep_key"]`;
- `account_2fa_tries` from `accounts.meta["2fa_tried"]`.

The audit records stay as they are (they are chain links and record the actions); the JSON keys
are removed. `requisites.meta` is not hashed by the chain, so the chain verifies unchanged.
Downgrade puts the JSON keys back and drops the tables (the audit records were never touched).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from prokai.store.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BATCH = 2000

_md = sa.MetaData()
_AUDIT = sa.Table(
    "audit_log", _md, sa.Column("id", sa.BigInteger), sa.Column("at", UTCDateTime()), sa.Column("actor", sa.String),
    sa.Column("action", sa.String), sa.Column("object_type", sa.String), sa.Column("object_id", sa.String),
    sa.Column("details", sa.JSON),
)
_REQUISITES = sa.Table("requisites", _md, sa.Column("id", sa.Integer), sa.Column("meta", sa.JSON))
_CAMPAIGNS = sa.Table("campaigns", _md, sa.Column("id", sa.Integer), sa.Column("settings", sa.JSON))
_ACCOUNTS = sa.Table("accounts", _md, sa.Column("id", sa.Integer), sa.Column("meta", sa.JSON),
                     sa.Column("updated_at", UTCDateTime()))
_PREFS = sa.Table("reviewer_prefs", _md, sa.Column("telegram_id", sa.BigInteger), sa.Column("lang", sa.String),
                  sa.Column("updated_at", UTCDateTime()))
_REFUSALS = sa.Table("refusal_answers", _md, sa.Column("actor", sa.String), sa.Column("telegram_id", sa.BigInteger),
                     sa.Column("answered_at", UTCDateTime()))
_RUNS = sa.Table(
    "job_runs", _md, sa.Column("run_id", sa.String), sa.Column("name", sa.String), sa.Column("trigger", sa.String),
    sa.Column("actor", sa.String), sa.Column("status", sa.String), sa.Column("resumed_from", sa.String),
    sa.Column("checkpoint", sa.JSON), sa.Column("result", sa.JSON), sa.Column("started_at", UTCDateTime()),
    sa.Column("ended_at", UTCDateTime()),
)
_HEALTH = sa.Table("health_problems", _md, sa.Column("problem", sa.String), sa.Column("first_seen", UTCDateTime()),
                   sa.Column("last_seen", UTCDateTime()))
_NOTIFIED = sa.Table(
    "requisite_notifications", _md, sa.Column("id", sa.BigInteger), sa.Column("requisite_id", sa.Integer),
    sa.Column("chat_id", sa.BigInteger), sa.Column("message_id", sa.BigInteger),
    sa.Column("notified_at", UTCDateTime()),
)
_SWEEPS = sa.Table("sweep_campaigns", _md, sa.Column("campaign_id", sa.Integer),
                   sa.Column("source_campaign_id", sa.Integer), sa.Column("sweep_key", sa.String))
_TRIES = sa.Table("account_2fa_tries", _md, sa.Column("id", sa.Integer), sa.Column("account_id", sa.Integer),
                  sa.Column("fingerprint", sa.String), sa.Column("tried_at", UTCDateTime()))

NOTIFY_KEYS = ("notified_at", "notified")
SWEEP_KEYS = ("sweep_of", "sweep_key")
TRIES_KEY = "2fa_tried"
END_STATUS = {"job.finished": "finished", "job.failed": "failed", "job.interrupted": "interrupted"}


def _create_tables() -> None:
    op.create_table(
        "reviewer_prefs",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("telegram_id", name=op.f("pk_reviewer_prefs")),
    )
    op.create_table(
        "refusal_answers",
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("actor", name=op.f("pk_refusal_answers")),
    )
    op.create_table(
        "job_runs",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resumed_from", sa.String(length=32), nullable=True),
        sa.Column("checkpoint", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_job_runs")),
    )
    op.create_index("ix_job_runs_name_status", "job_runs", ["name", "status"])
    op.create_index(op.f("ix_job_runs_resumed_from"), "job_runs", ["resumed_from"])
    op.create_table(
        "health_problems",
        sa.Column("problem", sa.String(length=512), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("problem", name=op.f("pk_health_problems")),
    )
    op.create_table(
        "requisite_notifications",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("requisite_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("notified_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["requisite_id"], ["requisites.id"], ondelete="CASCADE",
                                name=op.f("fk_requisite_notifications_requisite_id_requisites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requisite_notifications")),
    )
    op.create_index(op.f("ix_requisite_notifications_requisite_id"), "requisite_notifications", ["requisite_id"])
    op.create_table(
        "sweep_campaigns",
        sa.Column("campaign_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source_campaign_id", sa.Integer(), nullable=False),
        sa.Column("sweep_key", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE",
                                name=op.f("fk_sweep_campaigns_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["source_campaign_id"], ["campaigns.id"], ondelete="CASCADE",
                                name=op.f("fk_sweep_campaigns_source_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_sweep_campaigns")),
        sa.UniqueConstraint("source_campaign_id", "sweep_key",
                            name=op.f("uq_sweep_campaigns_source_campaign_id_sweep_key")),
    )
    op.create_index(op.f("ix_sweep_campaigns_sweep_key"), "sweep_campaigns", ["sweep_key"])
    op.create_table(
        "account_2fa_tries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("tried_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE",
                                name=op.f("fk_account_2fa_tries_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_2fa_tries")),
        sa.UniqueConstraint("account_id", "fingerprint", name=op.f("uq_account_2fa_tries_account_id_fingerprint")),
    )
    op.create_index(op.f("ix_account_2fa_tries_account_id"), "account_2fa_tries", ["account_id"])


def _audit(conn: sa.Connection, *where: Any) -> Any:
    """Audit records matching `where`, in id order, read in batches."""
    last = 0
    while True:
        rows = conn.execute(sa.select(_AUDIT).where(_AUDIT.c.id > last, *where).order_by(_AUDIT.c.id).limit(BATCH)).all()
        if not rows:
            return
        yield from rows
        last = int(rows[-1].id)


def _details(row: Any) -> dict[str, Any]:
    return dict(row.details) if isinstance(row.details, dict) else {}


def _move_bot_state(conn: sa.Connection) -> None:
    langs: dict[int, tuple[str, datetime]] = {}
    for row in _audit(conn, _AUDIT.c.action == "review.lang"):
        lang = _details(row).get("lang")
        if row.object_id and row.object_id.lstrip("-").isdigit() and isinstance(lang, str):
            langs[int(row.object_id)] = (lang[:8], row.at)
    if langs:
        conn.execute(_PREFS.insert(), [{"telegram_id": k, "lang": v, "updated_at": at} for k, (v, at) in langs.items()])
    answered: dict[str, dict[str, Any]] = {}
    for row in _audit(conn, _AUDIT.c.action == "review.refused"):
        if _details(row).get("answered") and row.actor not in answered:
            uid = row.object_id if row.object_id and row.object_id.lstrip("-").isdigit() else None
            answered[row.actor] = {"actor": row.actor, "telegram_id": int(uid) if uid else None, "answered_at": row.at}
    if answered:
        conn.execute(_REFUSALS.insert(), list(answered.values()))


def _move_job_state(conn: sa.Connection) -> None:
    runs: dict[str, dict[str, Any]] = {}
    for row in _audit(conn, _AUDIT.c.object_type == "job", _AUDIT.c.action.like("job.%")):
        details = _details(row)
        run_id = str(details.pop("run_id", ""))
        if row.action == "job.started" and run_id:
            runs[run_id] = {"run_id": run_id, "name": str(row.object_id), "trigger": str(details.get("trigger", "")),
                            "actor": row.actor, "status": "running", "resumed_from": None, "checkpoint": {},
                            "result": {}, "started_at": row.at, "ended_at": None}
            continue
        run = runs.get(run_id)
        if run is None:
            continue
        if row.action == "job.resumed":
            run["resumed_from"] = str(details.get("resumed_from") or "") or None
        elif row.action == "job.checkpoint":
            run["checkpoint"] = details
        elif row.action in END_STATUS:
            run["status"] = "unavailable" if details.get("unavailable") else END_STATUS[row.action]
            run["result"] = details
            run["ended_at"] = row.at
    if runs:
        conn.execute(_RUNS.insert(), list(runs.values()))
    last = conn.execute(sa.select(_AUDIT).where(_AUDIT.c.action == "health.check")
                        .order_by(_AUDIT.c.id.desc()).limit(1)).first()
    if last is not None:
        problems = dict.fromkeys(str(p)[:512] for p in _details(last).get("problems") or [])
        if problems:
            conn.execute(_HEALTH.insert(), [{"problem": p, "first_seen": last.at, "last_seen": last.at} for p in problems])


def _when(value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _json_rows(conn: sa.Connection, table: sa.Table, column: str) -> Any:
    """(id, dict) of every row of `table`, in id order, read in batches."""
    last = 0
    col = table.c[column]
    while True:
        rows = conn.execute(sa.select(table.c.id, col).where(table.c.id > last).order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            yield int(row[0]), dict(row[1]) if isinstance(row[1], dict) else {}
        last = int(rows[-1][0])


def _move_json_state(conn: sa.Connection) -> None:
    for rid, meta in _json_rows(conn, _REQUISITES, "meta"):  # each batch is read whole before its updates
        if not any(k in meta for k in NOTIFY_KEYS):
            continue
        if meta.get("notified_at"):
            at = _when(meta["notified_at"])
            copies = [c for c in meta.get("notified") or [] if isinstance(c, dict)]
            rows = [{"requisite_id": rid, "chat_id": c.get("chat_id"), "message_id": c.get("message_id"),
                     "notified_at": at} for c in copies] or [
                {"requisite_id": rid, "chat_id": None, "message_id": None, "notified_at": at}]
            conn.execute(_NOTIFIED.insert(), rows)
        rest = {k: v for k, v in meta.items() if k not in NOTIFY_KEYS}
        conn.execute(_REQUISITES.update().where(_REQUISITES.c.id == rid).values(meta=rest))
    campaigns = dict(_json_rows(conn, _CAMPAIGNS, "settings"))
    for cid, settings in campaigns.items():
        if not any(k in settings for k in SWEEP_KEYS):
            continue
        source, key = settings.get("sweep_of"), settings.get("sweep_key")
        if isinstance(source, int) and source in campaigns and key:
            conn.execute(_SWEEPS.insert().values(campaign_id=cid, source_campaign_id=source,
                                                 sweep_key=str(key)[:32]))
        rest = {k: v for k, v in settings.items() if k not in SWEEP_KEYS}
        conn.execute(_CAMPAIGNS.update().where(_CAMPAIGNS.c.id == cid).values(settings=rest))
    stamps = dict(conn.execute(sa.select(_ACCOUNTS.c.id, _ACCOUNTS.c.updated_at)).all())
    for aid, meta in _json_rows(conn, _ACCOUNTS, "meta"):
        if TRIES_KEY not in meta:
            continue
        tried = dict.fromkeys(str(f) for f in meta.get(TRIES_KEY) or [])
        if tried:
            at = stamps.get(aid) or datetime.now(UTC)
            conn.execute(_TRIES.insert(), [{"account_id": aid, "fingerprint": f, "tried_at": at} for f in tried])
        rest = {k: v for k, v in meta.items() if k != TRIES_KEY}
        conn.execute(_ACCOUNTS.update().where(_ACCOUNTS.c.id == aid).values(meta=rest))


def upgrade() -> None:
    _create_tables()
    conn = op.get_bind()
    _move_bot_state(conn)
    _move_job_state(conn)
    _move_json_state(conn)


def _restore_json_state(conn: sa.Connection) -> None:
    notified: dict[int, list[Any]] = {}
    for row in conn.execute(sa.select(_NOTIFIED).order_by(_NOTIFIED.c.id)):
        notified.setdefault(int(row.requisite_id), []).append(row)
    for rid, rows in notified.items():
        meta = conn.execute(sa.select(_REQUISITES.c.meta).where(_REQUISITES.c.id == rid)).scalar() or {}
        copies = [{"chat_id": r.chat_id, "message_id": r.message_id} for r in rows if r.chat_id is not None]
        meta = {**meta, "notified_at": rows[0].notified_at.isoformat(), "notified": copies}
        conn.execute(_REQUISITES.update().where(_REQUISITES.c.id == rid).values(meta=meta))
    for row in conn.execute(sa.select(_SWEEPS)).all():
        settings = conn.execute(sa.select(_CAMPAIGNS.c.settings).where(_CAMPAIGNS.c.id == row.campaign_id)).scalar() or {}
        settings = {**settings, "sweep_of": int(row.source_campaign_id), "sweep_key": row.sweep_key}
        conn.execute(_CAMPAIGNS.update().where(_CAMPAIGNS.c.id == row.campaign_id).values(settings=settings))
    tries: dict[int, list[str]] = {}
    for row in conn.execute(sa.select(_TRIES).order_by(_TRIES.c.id)):
        tries.setdefault(int(row.account_id), []).append(row.fingerprint)
    for aid, fingerprints in tries.items():
        meta = conn.execute(sa.select(_ACCOUNTS.c.meta).where(_ACCOUNTS.c.id == aid)).scalar() or {}
        conn.execute(_ACCOUNTS.update().where(_ACCOUNTS.c.id == aid).values(meta={**meta, TRIES_KEY: fingerprints}))


def downgrade() -> None:
    _restore_json_state(op.get_bind())
    op.drop_index(op.f("ix_account_2fa_tries_account_id"), table_name="account_2fa_tries")
    op.drop_table("account_2fa_tries")
    op.drop_index(op.f("ix_sweep_campaigns_sweep_key"), table_name="sweep_campaigns")
    op.drop_table("sweep_campaigns")
    op.drop_index(op.f("ix_requisite_notifications_requisite_id"), table_name="requisite_notifications")
    op.drop_table("requisite_notifications")
    op.drop_table("health_problems")
    op.drop_index(op.f("ix_job_runs_resumed_from"), table_name="job_runs")
    op.drop_index("ix_job_runs_name_status", table_name="job_runs")
    op.drop_table("job_runs")
    op.drop_table("refusal_answers")
    op.drop_table("reviewer_prefs")
