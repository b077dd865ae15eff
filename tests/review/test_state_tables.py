"""Working state lives in tables and is read from them: job runs (resumed from `job_runs`), the
health check's known problems (`health_problems`), sweep membership (`sweep_campaigns`, looked
up in SQL), the one refusal a stranger gets (`refusal_answers`). The audit log still records each
action. Both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from reviewkit import ADMIN_CHAT, PROSECUTOR, STRANGER, bot_env, make_settings, seed_requisite

from prokai.crawl.sweep import prepare_sweep, run_sweep
from prokai.daemon.service import health_check
from prokai.daemon.sweeps import _stop_sweep_campaigns
from prokai.ops.jobs import JobContext, JobRegistry, JobRunner, unfinished_runs
from prokai.readmodels.i18n import t
from prokai.review.notify import notify_pending
from prokai.store.db import Database
from prokai.store.models import (
    Account,
    AuditRecord,
    Campaign,
    Case,
    HealthProblem,
    JobRun,
    ModemPort,
    RefusalAnswer,
    Shop,
    SimBox,
    SweepCampaign,
    Target,
)


def _actions(db: Database, prefix: str) -> list[str]:
    with db.session() as s:
        return list(s.scalars(sa.select(AuditRecord.action).where(AuditRecord.action.like(f"{prefix}%"))
                              .order_by(AuditRecord.id)))


def test_an_interrupted_run_is_resumed_from_job_runs(db: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    seen: list[tuple[str | None, dict[str, Any]]] = []

    async def units(ctx: JobContext) -> dict[str, Any]:
        seen.append((ctx.resumed_from, dict(ctx.checkpoint_state)))
        start = int(ctx.checkpoint_state.get("done", 0))
        for unit in range(start, 4):
            if ctx.stopping:
                return {"complete": False}
            ctx.checkpoint(done=unit + 1)
            if unit + 1 == 2 and ctx.trigger != "resume":
                ctx.stop.set()  # the service is told to stop after two units
        return {"complete": True, "units": 4}

    registry = JobRegistry()
    registry.register("units", units)

    async def scenario() -> None:
        first = JobRunner(registry, settings, db)
        assert await first.run("units") == "interrupted"
        [interrupted] = unfinished_runs(db)
        assert interrupted.name == "units" and interrupted.checkpoint == {"done": 2}

        second = JobRunner(registry, settings, db)  # the next start of the service
        assert [r.run_id for r in second.resume_unfinished()] == [interrupted.run_id]
        await asyncio.gather(*second.tasks.values())
        assert unfinished_runs(db) == []
        with db.session() as s:
            runs = s.scalars(sa.select(JobRun).order_by(JobRun.started_at)).all()
            assert [(r.status, r.trigger, r.resumed_from) for r in runs] == [
                ("interrupted", "schedule", None), ("finished", "resume", interrupted.run_id)]
            assert runs[1].checkpoint == {"done": 4} and runs[1].result == {"complete": True, "units": 4}
        assert seen == [(None, {}), (interrupted.run_id, {"done": 2})]

    asyncio.run(asyncio.wait_for(scenario(), 30))
    # Still audited as actions.
    assert _actions(db, "job.") == [
        "job.started", "job.checkpoint", "job.checkpoint", "job.interrupted",
        "job.started", "job.resumed", "job.checkpoint", "job.checkpoint", "job.checkpoint", "job.finished",
    ]


def test_a_run_left_running_by_a_killed_process_is_unfinished(db: Database) -> None:
    with db.session() as s:
        s.add(JobRun(run_id="killed", name="sweep", trigger="schedule", actor="scheduler", status="running",
                     checkpoint={"key": "2026-12-01"}))
        s.add(JobRun(run_id="done", name="sweep", trigger="schedule", actor="scheduler", status="finished"))
    assert [(r.run_id, r.checkpoint) for r in unfinished_runs(db)] == [("killed", {"key": "2026-12-01"})]


def test_health_alerts_each_problem_when_it_appears(db: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    alerts: list[str] = []

    async def alert(text: str) -> None:
        alerts.append(text)

    with db.session() as s:
        box = SimBox(name="box-1")
        s.add(box)
        s.flush()
        s.add(ModemPort(simbox_id=box.id, tty="/dev/ttyUSB3", status="no_response"))
    registry = JobRegistry()
    registry.register("health", health_check)

    def set_port(status: str) -> None:
        with db.session() as s:
            s.execute(sa.update(ModemPort).values(status=status))

    def known() -> set[str]:
        with db.session() as s:
            return set(s.scalars(sa.select(HealthProblem.problem)))

    async def scenario() -> None:
        runner = JobRunner(registry, settings, db, alert=alert)
        assert await runner.run("health") == "finished"
        assert known() == {"modem /dev/ttyUSB3: no_response"}
        with db.session() as s:
            s.add(Account(phone="+77010000001", state="banned"))
        assert await runner.run("health") == "finished"  # only the new problem is alerted
        set_port("ok")
        assert await runner.run("health") == "finished"  # solved: forgotten
        assert known() == {"accounts banned: 1"}
        set_port("no_response")
        assert await runner.run("health") == "finished"  # back again: alerted again

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert [a.split(": ", 1)[1] for a in alerts] == [
        "modem /dev/ttyUSB3: no_response", "accounts banned: 1", "modem /dev/ttyUSB3: no_response"]
    assert _actions(db, "health.") == ["health.check"] * 4


def test_sweep_membership_is_a_table_looked_up_in_sql(db: Database) -> None:
    with db.session() as s:
        case = Case(number="CASE-SWEEP")
        s.add(case)
        s.flush()
        source = Campaign(case_id=case.id, name="almaty", status="done")
        shop = Shop(telegram_id=777, username="almaty_shop_bot", kind="bot", status="alive")
        s.add_all([source, shop])
        s.flush()
        s.add(Target(campaign_id=source.id, shop_id=shop.id, raw="username:almaty_shop_bot", status="done"))
        source_id = source.id
    tonight = prepare_sweep(db, source_id, "2026-12-01", "test")
    with db.session() as s:  # the live shop is asked again, bound to its Telegram id
        targets = s.scalars(sa.select(Target).where(Target.campaign_id == tonight)).all()
        assert [(t.shop_id, t.meta["telegram_id"]) for t in targets] == [(shop.id, 777)]
    assert prepare_sweep(db, source_id, "2026-12-01", "test") == tonight  # the same key: the same campaign
    tomorrow = prepare_sweep(db, source_id, "2026-12-02", "test")
    with db.session() as s:
        rows = {(r.campaign_id, r.source_campaign_id, r.sweep_key) for r in s.scalars(sa.select(SweepCampaign))}
        assert rows == {(tonight, source_id, "2026-12-01"), (tomorrow, source_id, "2026-12-02")}
        assert all(c.settings == {} for c in s.scalars(sa.select(Campaign)))

    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        _stop_sweep_campaigns(db, "2026-12-01")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    with db.session() as s:
        status = dict(s.execute(sa.select(Campaign.id, Campaign.status)).all())
    assert status[tonight] == "stopped" and status[tomorrow] == "created" and status[source_id] == "done"
    lookups = [q for q in statements if q.startswith("SELECT") and "sweep_campaigns" in q]
    assert len(lookups) == 1 and "WHERE sweep_campaigns.sweep_key =" in lookups[0]
    # No campaign is read to be filtered in Python: each one read is read by its id.
    assert all("WHERE campaigns.id =" in q for q in statements if q.startswith("SELECT") and "FROM campaigns" in q)


def test_a_sweep_asks_only_original_campaigns(db: Database) -> None:
    class NoRunner:
        stop_requested = False

        async def run(self, campaign_id: int) -> Any:
            from prokai.crawl.runner import RunReport

            asked.append(campaign_id)
            return RunReport()

    asked: list[int] = []
    with db.session() as s:
        case = Case(number="CASE-SOURCES")
        s.add(case)
        s.flush()
        source = Campaign(case_id=case.id, name="astana", status="done")
        s.add(source)
        s.flush()
        source_id = source.id
    earlier = prepare_sweep(db, source_id, "2026-11-30", "test")
    report = asyncio.run(run_sweep(db, NoRunner(), key="2026-12-01"))  # type: ignore[arg-type]
    assert len(report.campaigns) == 1 and report.campaigns[0] not in (source_id, earlier)
    assert asked == report.campaigns  # the sweep of 30 November is not swept again as a source


def test_a_strangers_button_press_is_their_one_refusal(db: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    seed_requisite(db)

    async def scenario() -> None:
        async with bot_env(settings, db) as (server, app):
            assert await notify_pending(app.bot, db, settings) == 1
            card = await server.next_message(ADMIN_CHAT)
            press = await server.user_presses(STRANGER, card.message_id, "c:1", chat_id=ADMIN_CHAT, check_button=False)
            assert (await press.answered()).text == t("ru", "refused")
        async with bot_env(settings, db) as (server, _app):  # after a restart
            await server.user_says(STRANGER, None, "/pending")
            await server.user_says(PROSECUTOR, None, "/help")
            assert (await server.next_message(PROSECUTOR)).text == t("ru", "help")
            assert server.messages_for(STRANGER) == []

    asyncio.run(asyncio.wait_for(scenario(), 45))
    with db.session() as s:
        assert [a.actor for a in s.scalars(sa.select(RefusalAnswer))] == [f"telegram:{STRANGER}"]
        refused = s.scalars(sa.select(AuditRecord).where(AuditRecord.action == "review.refused")
                            .order_by(AuditRecord.id)).all()
    assert [r.details["answered"] for r in refused] == [True, False]
