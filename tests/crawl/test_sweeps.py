"""Seven fast-forwarded days of nightly sweeps: every rotated requisite captured, each exactly
once; renamed and dead shops recorded; a sweep run twice for one day is not run twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from prokai.crawl.campaigns import create_campaign
from prokai.crawl.rehearsal import REHEARSAL_BUDGET, SCENARIOS, entry_targets, rehearsal
from prokai.crawl.runner import CampaignRunner
from prokai.crawl.sweep import run_sweep
from prokai.intake.targets import parse_targets
from prokai.sandbox.shops.loader import load_folder
from prokai.sandbox.shops.rotation import day_start
from prokai.store.chain import verify_chain
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import Conversation, Requisite, Shop, ShopStatusChange, Sighting

pytestmark = pytest.mark.timeout(300)

PICK = ("snezhok-astana", "aigerim-operator-kk", "almaz-dead", "orbita-renamed")
DAYS = 7


def test_seven_nightly_sweeps(tmp_path: Path, crawl_model: object) -> None:
    url = f"sqlite:///{tmp_path}/sweeps.db"
    upgrade(url)
    db = Database(url)
    scenarios = [s for s in load_folder(SCENARIOS) if s.id in PICK]

    async def body() -> None:
        async with rehearsal(db, accounts=3, scenarios=scenarios) as rh:
            specs, _ = parse_targets(entry_targets(rh.scenarios))
            campaign_id, _ = create_campaign(db, "CASE-SW", "nightly", specs, actor="test")
            runner = CampaignRunner(db, rh.provider, crawl_model, city="Алматы", budget=REHEARSAL_BUDGET,
                                    max_depth=1, concurrency=3, pacer=rh.pacer)
            await runner.run(campaign_id)
            expected: dict[str, set[str]] = {}
            for d in range(DAYS):
                day = rh.day + timedelta(days=d)
                if d:
                    rh.world.clock.advance(day_start(day) + 12 * 3600 - rh.world.clock.now())
                    await asyncio.sleep(0.05)  # the shops' lifecycle task applies the new day
                    await run_sweep(db, runner, key=day.isoformat())
                truth = rh.truth(day)
                for shop in truth["shops"]:
                    if shop.get("alive", True):
                        for req in shop["requisites"]:
                            if req["rotate"] == "per_day":
                                expected.setdefault(shop["id"], set()).add(req["value"])
            # the same day again: nothing new is asked
            with db.session() as s:
                before = s.scalar(select(func.count()).select_from(Conversation))
            await run_sweep(db, runner, key=(rh.day + timedelta(days=DAYS - 1)).isoformat())
            with db.session() as s:
                assert s.scalar(select(func.count()).select_from(Conversation)) == before
                values = set(s.scalars(select(Requisite.value)))
                dup = s.execute(select(Sighting.conversation_id, Sighting.requisite_id, func.count())
                                .group_by(Sighting.conversation_id, Sighting.requisite_id)
                                .having(func.count() > 1)).all()
                changes = {(sh.username, c.status) for c, sh in s.execute(
                    select(ShopStatusChange, Shop).join(Shop, Shop.id == ShopStatusChange.shop_id))}
                assert verify_chain(s).ok
            assert dup == []
            norm = {v.replace(" ", "") for v in values}
            for shop_id, vals in expected.items():
                missing = {v for v in vals if v.replace(" ", "") not in norm}
                assert not missing, f"{shop_id}: rotated requisites never captured: {missing}"
            statuses = {status for _, status in changes}
            assert "requisites_changed" in statuses
            assert any(status == "renamed" for _, status in changes)
            assert any(status == "dead" for _, status in changes)

    asyncio.run(asyncio.wait_for(body(), 280))
