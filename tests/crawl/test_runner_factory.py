"""One way to build a campaign runner (`prokai.crawl.factory.build_runner`): every caller (the
CLI, the scheduled sweep, the demo and the rehearsals) gets the settings' knobs, and the nightly
sweep's runner keeps to the per-account daily cap (its hand-built copy had forgotten it)."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from poolkit import KaspiShop, migrated_db, pool_accounts
from sqlalchemy import select
from typer.core import TyperCommand

from prokai.cliutil import AppState
from prokai.config import (
    CrawlSettings,
    DatabaseSettings,
    NlpSettings,
    SchedulerSettings,
    Settings,
)
from prokai.crawl.campaigns import create_campaign
from prokai.crawl.commands import make_runner
from prokai.crawl.engine import Budget
from prokai.crawl.models import KeywordModel
from prokai.crawl.pacing import SandboxPacer
from prokai.crawl.rehearsal import REHEARSAL_BUDGET, rehearsal_runner
from prokai.crawl.runner import CampaignRunner, PoolClients, StaticClients
from prokai.daemon.sweeps import campaign_runner, nightly_sweep
from prokai.intake.steps import JudgeShop
from prokai.intake.targets import parse_targets
from prokai.ops.jobs import JobContext
from prokai.sandbox.clock import Clock
from prokai.sandbox.server import SandboxServer
from prokai.sandbox.world import World
from prokai.store.db import Database
from prokai.store.models import Conversation, Shop, ShopStatus, SweepCampaign, Target

pytestmark = pytest.mark.timeout(120)

PROKAI = Path(__file__).resolve().parents[2] / "prokai"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    return migrated_db(tmp_path, monkeypatch)


def _settings(db: Database, tmp_path: Path, **crawl: Any) -> Settings:
    knobs: dict[str, Any] = {"region": "Астана", "max_depth": 3, "max_steps_per_conversation": 12,
                             "max_conversation_minutes": 5.0, "daily_cap_per_account": 7, "min_delay_s": 0.5,
                             "max_delay_s": 1.5, "order_gap_s": 45.0, **crawl}
    return Settings(data_dir=tmp_path, database=DatabaseSettings(url=db.url), crawl=CrawlSettings(**knobs),
                    nlp=NlpSettings(shop_threshold=0.7), scheduler=SchedulerSettings(sweep_model="keywords"))


def _cli(db: Database, settings: Settings) -> CampaignRunner:
    ctx = typer.Context(TyperCommand("campaign"), obj=AppState(settings, _db=db))
    runner = make_runner(ctx, "keywords", 3)
    assert isinstance(runner, CampaignRunner)
    return runner


def _sweep(db: Database, settings: Settings) -> CampaignRunner:
    runner = campaign_runner(settings, db, concurrency=3)
    assert isinstance(runner, CampaignRunner)
    return runner


CALLERS: dict[str, Callable[[Database, Settings], CampaignRunner]] = {"cli": _cli, "sweep": _sweep}


@pytest.mark.parametrize("caller", list(CALLERS))
def test_campaigns_and_sweeps_get_every_knob_from_settings(store: Database, tmp_path: Path, caller: str) -> None:
    runner = CALLERS[caller](store, _settings(store, tmp_path))
    assert isinstance(runner.provider, PoolClients)  # the account pool
    assert isinstance(runner.model, KeywordModel)  # `--model keywords` / scheduler.sweep_model
    assert (runner.city, runner.max_depth, runner.daily_cap, runner.shop_threshold, runner.concurrency) == (
        "Астана", 3, 7, 0.7, 3)
    assert runner.budget == Budget(max_steps=12, max_seconds=300.0, min_delay=0.5, max_delay=1.5, order_gap=45.0)
    # its conversations feed the intake pipeline of these settings, not of the process's config.yaml
    assert runner.intake is not None
    assert [getattr(step, "threshold", None) for step in runner.intake.steps if isinstance(step, JudgeShop)] == [0.7]


def test_rehearsals_and_the_demo_get_settings_and_sandbox_pacing(store: Database, tmp_path: Path) -> None:
    """The demo and the rehearsals build theirs with `rehearsal_runner`: sandbox seconds and no
    daily cap (a handful of accounts talks to every scenario shop in one sandbox day), the rest
    from settings."""
    pacer = SandboxPacer(Clock())
    runner = rehearsal_runner(store, _settings(store, tmp_path), StaticClients([]), "keywords", pacer,
                              max_depth=1, concurrency=2)
    assert (runner.city, runner.shop_threshold, runner.max_depth, runner.concurrency) == ("Астана", 0.7, 1, 2)
    assert runner.budget == REHEARSAL_BUDGET and runner.daily_cap is None and runner.pacer is pacer
    assert runner.intake is not None
    assert [getattr(step, "threshold", None) for step in runner.intake.steps if isinstance(step, JudgeShop)] == [0.7]
    assert isinstance(runner.model, KeywordModel)


def test_no_runner_is_built_by_hand() -> None:
    """`CampaignRunner(...)` is called in the factory only: every other caller goes through it."""
    calls = []
    for path in PROKAI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "CampaignRunner":
                calls.append(str(path.relative_to(PROKAI)))
    assert calls == ["crawl/factory.py"]


def test_scheduled_sweep_keeps_the_daily_cap(store: Database, tmp_path: Path) -> None:
    """One account with a cap of one message a day, two live shops: the nightly sweep (the
    scheduler's job, its runner from settings) asks one, and leaves the other pending."""
    settings = _settings(store, tmp_path, daily_cap_per_account=1, min_delay_s=0.0, max_delay_s=0.0, max_depth=0)
    bots = ("kaspi_one_bot", "kaspi_two_bot")

    async def body() -> dict[str, Any]:
        world = World()
        for n, bot in enumerate(bots):
            world.add_bot(bot, KaspiShop(f"440043012345678{n}"), about="Магазин шишки, клады Алматы")
        world.add_account("+77010000009", "Buyer")
        server = SandboxServer(world, "127.0.0.1", 0)
        await server.start()
        try:
            await pool_accounts(store, server, ("+77010000009",))
            specs, bad = parse_targets([f"@{b}" for b in bots])
            assert not bad
            source, _ = create_campaign(store, "CASE-17", "shops", specs, actor="tester")
            with store.session() as s:  # both shops were alive in the campaign's run
                for n, target in enumerate(s.scalars(select(Target).where(Target.campaign_id == source))):
                    entity = world.resolve(bots[n])
                    assert entity is not None
                    shop = Shop(telegram_id=entity.id, kind="bot", username=bots[n], status=ShopStatus.ALIVE.value)
                    s.add(shop)
                    s.flush()
                    target.shop_id, target.status, target.outcome = shop.id, "done", "requisites"
            ctx = JobContext("sweep", "run-1", settings, store, asyncio.Event(),
                             clock=lambda: datetime(2026, 3, 1, 22, 0, tzinfo=UTC))
            return await nightly_sweep(ctx)
        finally:
            await server.close()

    result = asyncio.run(asyncio.wait_for(body(), 100))
    with store.session() as s:
        sweep_id = s.scalar(select(SweepCampaign.campaign_id))
        targets = {t.raw: (t.status, t.meta.get("pending_reason", "")) for t in s.scalars(
            select(Target).where(Target.campaign_id == sweep_id))}
        conversations = s.scalars(select(Conversation).where(Conversation.campaign_id == sweep_id)).all()
    assert result["shops"] == 1 and result["complete"]
    assert len(conversations) == 1
    statuses = sorted(status for status, _ in targets.values())
    assert statuses == ["done", "pending"], targets
    assert any("daily cap of 1" in reason for _, reason in targets.values()), targets
